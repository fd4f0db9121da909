import type { Clock, LinkRecord, LinkStore, RandomBytes } from "../ports/index.js";
import { isSignedId, newSignedId } from "../util/ids.js";
import { Lru } from "../util/lru.js";
import type { Signer } from "../util/signer.js";
import { destinationOf } from "./destination.js";

/**
 * Tracked links. An id is 12 random base64url chars followed by an 8-char HMAC of them,
 * so a forged or tampered id is refused before any store lookup (no store load from
 * guessing), and only destinations registered through the API are ever redirected to:
 * there is no open redirect to abuse.
 */
/** Resolved links stay in memory: a send's few hundred links are hit millions of times. */
const CACHE_SIZE = 50_000;

export const UTM_KEYS = ["source", "medium", "campaign", "term", "content"] as const;
export type Utm = Partial<Record<(typeof UTM_KEYS)[number], string>>;

/** Appends utm_* parameters the destination does not already carry. */
export function withUtm(url: string, utm: Utm | undefined): string {
  if (!utm) return url;
  const u = new URL(url);
  for (const k of UTM_KEYS) {
    const v = utm[k];
    if (v && !u.searchParams.has(`utm_${k}`)) u.searchParams.append(`utm_${k}`, v);
  }
  return u.toString();
}

export class Links {
  private readonly cache = new Lru<string, LinkRecord>(CACHE_SIZE);
  constructor(
    private readonly store: LinkStore,
    private readonly signer: Signer,
    private readonly clock: Clock,
    private readonly random: RandomBytes,
  ) {}

  async create(url: string, campaign: string | null): Promise<LinkRecord> {
    return (await this.createMany([url], campaign))[0]!;
  }

  /**
   * Registers many destinations in one store write; records in the order of `urls`. Each is
   * stored as its serialisation (destination.ts), so the same URL spelt two ways is one link;
   * callers refuse what has none first (a throw here is a caller's bug).
   */
  async createMany(urls: readonly string[], campaign: string | null): Promise<LinkRecord[]> {
    const at = this.clock.now();
    const records = await Promise.all(
      urls.map(async (raw) => {
        const url = destinationOf(raw);
        if (url === null) throw new RangeError("a link's destination must be an absolute http(s) URL");
        return { id: await newSignedId(this.signer, "link", this.random), url, campaign, createdAt: at };
      }),
    );
    const stored = await this.store.put(records);
    for (const l of stored) this.cache.set(l.id, l);
    return stored;
  }

  /** The link if it is in memory (resolved or created recently); no HMAC check, no store read. */
  cached(id: string): LinkRecord | undefined {
    return this.cache.get(id);
  }

  /** The registered link for an id, or null for anything forged, tampered or unknown. */
  async resolve(id: string): Promise<LinkRecord | null> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    if (!(await isSignedId(this.signer, "link", id))) return null;
    const link = await this.store.get(id);
    if (link) this.cache.set(id, link);
    return link;
  }
}
