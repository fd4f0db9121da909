import type { CatalogStore } from "../ports/catalog.js";
import type { FeedFormat, FeedRun } from "../ports/feeds.js";
import { type Fetcher, FetchRefused } from "../ports/fetch.js";
import type { Clock } from "../ports/index.js";
import { detectFormat, MAX_FEED_BYTES, parseFeed, type RejectedRow } from "./feed.js";

const FEED_ACCEPT = "application/json, text/csv;q=0.9, text/plain;q=0.5, */*;q=0.1";
/**
 * Products per catalog transaction. One transaction for 100k rows would hold the event loop
 * (and the write lock) for seconds; slices of 1,000 take ~20 ms each, with the loop free
 * between them. Rows are checked in full before the first write, so only a store failure
 * mid-way can leave part of a feed written, and the next run completes it.
 */
const PRODUCTS_PER_WRITE = 1000;
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export type ImportResult =
  | {
      ok: true;
      format: FeedFormat;
      created: number;
      updated: number;
      unchanged: number;
      rejected: RejectedRow[];
    }
  /** The feed could not be fetched: nothing was written. */
  | { ok: false; failure: "fetch"; refusal: FetchRefused }
  /** The feed was fetched but cannot be read as a whole (not JSON, no header, too many rows). */
  | { ok: false; failure: "feed"; message: string };

/**
 * One import of a catalog feed: fetch it now through the guarded Fetcher (never from its
 * cache), check every row, then upsert the good ones. A fetch or feed failure writes
 * nothing; bad rows are reported and the rest still land.
 */
export class FeedImporter {
  constructor(
    private readonly fetcher: Fetcher | undefined,
    private readonly catalog: CatalogStore | undefined,
    private readonly clock: Clock,
    /** Products just written: the price cards' product cache forgets them. */
    private readonly onWritten: (ids: readonly string[]) => void,
  ) {}

  get available(): boolean {
    return this.fetcher !== undefined && this.catalog !== undefined;
  }

  async run(url: string, format: FeedFormat | null): Promise<ImportResult> {
    if (!this.fetcher || !this.catalog) throw new Error("feed import needs a fetcher and a catalog");
    let body: Awaited<ReturnType<Fetcher["fetch"]>>;
    try {
      body = await this.fetcher.fetch(url, { maxBytes: MAX_FEED_BYTES, accept: FEED_ACCEPT, cache: false });
    } catch (err) {
      if (err instanceof FetchRefused) return { ok: false, failure: "fetch", refusal: err };
      throw err;
    }
    const used = format ?? detectFormat(body.contentType, body.url, body.bytes);
    const feed = await parseFeed(body.bytes, used);
    if (!feed.ok) return { ok: false, failure: "feed", message: feed.message };
    const counts = { created: 0, updated: 0, unchanged: 0 };
    const at = this.clock.now();
    for (let i = 0; i < feed.products.length; i += PRODUCTS_PER_WRITE) {
      if (i > 0) await pause();
      const slice = feed.products.slice(i, i + PRODUCTS_PER_WRITE);
      const r = await this.catalog.upsertMany(slice, at);
      counts.created += r.created;
      counts.updated += r.updated;
      counts.unchanged += r.unchanged;
      this.onWritten(slice.map((p) => p.id));
    }
    return { ok: true, format: used, ...counts, rejected: feed.rejected };
  }
}

/** How a run is remembered on its feed. */
export function feedRunOf(result: ImportResult, at: number): FeedRun {
  if (!result.ok)
    return {
      at,
      status: "failed",
      message: result.failure === "fetch" ? result.refusal.message : result.message,
      counts: null,
    };
  const first = result.rejected[0];
  return {
    at,
    status: first ? "partial" : "ok",
    message: first ? `row ${first.row}: ${first.message}` : null,
    counts: {
      imported: result.created + result.updated,
      unchanged: result.unchanged,
      rejected: result.rejected.length,
    },
  };
}
