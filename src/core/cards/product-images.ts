import type { ProductRecord } from "../ports/catalog.js";
import { type Fetcher, FetchRefused } from "../ports/fetch.js";
import type { Clock, Logger } from "../ports/index.js";
import { base64url } from "../util/encoding.js";

/** A product photo on a card is drawn at most ~300 px wide: 2 MB is plenty, and bounds satori's decode. */
export const MAX_PRODUCT_IMAGE_BYTES = 2 * 1024 * 1024;
/** The first open after a product change waits for its image: keep that wait short. */
const IMAGE_TIMEOUT_MS = 4000;
/** A failed image is tried again after this, not at every open. */
const RETRY_MS = 5 * 60_000;
/** Data URLs held (base64 chars); a hot catalog's images fit, an evicted one is fetched again. */
const MAX_HELD_CHARS = 64 * 1024 * 1024;
const MAX_HELD = 5000;

const ACCEPT = "image/png, image/jpeg, image/webp, image/gif;q=0.8";

/** The type by the first bytes: what satori decodes, whatever Content-Type claims. */
function sniff(b: Uint8Array): string | null {
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return "image/gif";
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length > 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return null;
}

function dataUrl(type: string, bytes: Uint8Array): string {
  const b64 = base64url(bytes).replace(/-/g, "+").replace(/_/g, "/");
  return `data:${type};base64,${b64}${"=".repeat((4 - (b64.length % 4)) % 4)}`;
}

/**
 * The image a price card draws for a product version: a data: URL as stored, or an http(s)
 * image fetched once through the guarded Fetcher and handed to satori as a data: URL
 * (satori would otherwise fetch it itself, unguarded, at every render). Refusals and
 * failures are logged and give null, so the card is drawn without an image, never with a
 * broken one. Concurrent opens of a new version share one fetch.
 */
export class ProductImages {
  // Map order is recency: a hit is re-inserted, the first entries are evicted first.
  private readonly held = new Map<string, { image: string | null; at: number }>();
  private heldChars = 0;
  private readonly pending = new Map<string, Promise<string | null>>();

  constructor(
    private readonly fetcher: Fetcher | undefined,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async get(p: ProductRecord): Promise<string | null> {
    const url = p.imageUrl;
    if (!url) return null;
    if (url.startsWith("data:image/")) return url;
    if (!this.fetcher || !/^https?:\/\//i.test(url)) return null;
    const key = `${p.id}:${p.version}`;
    const hit = this.held.get(key);
    if (hit && (hit.image !== null || this.clock.now() - hit.at < RETRY_MS)) {
      this.held.delete(key);
      this.held.set(key, hit);
      return hit.image;
    }
    let run = this.pending.get(key);
    if (!run) {
      run = this.fetch(p.id, url)
        .then((image) => {
          this.hold(key, image);
          return image;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, run);
    }
    return run;
  }

  private async fetch(productId: string, url: string): Promise<string | null> {
    try {
      const res = await this.fetcher!.fetch(url, {
        maxBytes: MAX_PRODUCT_IMAGE_BYTES,
        timeoutMs: IMAGE_TIMEOUT_MS,
        accept: ACCEPT,
      });
      const type = sniff(res.bytes);
      if (!/^image\//i.test(res.contentType) || !type) {
        this.logger.warn(
          { productId, url, reason: "not_an_image", contentType: res.contentType },
          "product image not drawn",
        );
        return null;
      }
      return dataUrl(type, res.bytes);
    } catch (err) {
      const reason = err instanceof FetchRefused ? err.reason : "error";
      this.logger.warn(
        { productId, url, reason, message: (err as Error).message },
        "product image not drawn",
      );
      return null;
    }
  }

  private hold(key: string, image: string | null): void {
    const old = this.held.get(key);
    if (old) {
      this.held.delete(key);
      this.heldChars -= old.image?.length ?? 0;
    }
    this.held.set(key, { image, at: this.clock.now() });
    this.heldChars += image?.length ?? 0;
    for (const [k, e] of this.held) {
      if (this.held.size <= MAX_HELD && this.heldChars <= MAX_HELD_CHARS) break;
      this.held.delete(k);
      this.heldChars -= e.image?.length ?? 0;
    }
  }
}
