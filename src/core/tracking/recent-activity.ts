/**
 * Short-term memory of what each recipient did in each campaign, so classify() can see
 * "clicked 300 ms after the open" or "clicked 4 links in one second".
 *
 * In-process and bounded on purpose: the signals only matter within seconds, losing them on
 * restart is harmless, and a hot path at 10k+ req/s cannot afford a store round trip.
 * Bounded three ways so hostile traffic cannot grow it: at most `maxEntries` recipients
 * (least recently written evicted first, using Map insertion order as the LRU list), at most
 * MAX_LINKS_PER_RECIPIENT links per recipient, at most MAX_STAMPS_PER_LINK stamps per link.
 */

/** Window for "links clicked at once". */
export const BURST_WINDOW_MS = 2000;
export const DEFAULT_MAX_ENTRIES = 100_000;
/** A scanner walking a huge newsletter still shows up as a burst long before 32 links. */
export const MAX_LINKS_PER_RECIPIENT = 32;
export const MAX_STAMPS_PER_LINK = 4;

interface Entry {
  firstOpenAt: number | undefined;
  /** linkId -> last few click times; Map order = least recently clicked first. */
  clicks: Map<string, number[]> | undefined;
}

export interface RecentActivityOptions {
  /** Recipients (campaign + recipient pairs) kept; default 100 000. */
  maxEntries?: number;
}

export class RecentActivity {
  readonly maxEntries: number;
  // Two generations instead of a strict LRU: a hit in the young map moves nothing (the
  // delete-and-reinsert of a strict LRU cost ~2 µs per redirect in profiles). When the young
  // map reaches maxEntries/2 it becomes the old one and the previous old one is dropped.
  private young = new Map<string, Entry>();
  private old = new Map<string, Entry>();

  constructor(options: RecentActivityOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError("RecentActivity maxEntries must be an integer >= 1");
    this.maxEntries = max;
  }

  /** Recipients currently remembered (never more than maxEntries). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Records an open; keeps the earliest time seen as the first open. */
  noteOpen(campaign: string, recipient: string, at: number): void {
    if (!Number.isFinite(at)) return;
    const e = this.touch(key(campaign, recipient));
    if (e.firstOpenAt === undefined || at < e.firstOpenAt) e.firstOpenAt = at;
  }

  /**
   * Records a click and returns how many distinct links this recipient clicked within the
   * last BURST_WINDOW_MS, this one included (so always >= 1 for a valid time).
   */
  noteClick(campaign: string, recipient: string, linkId: string, at: number): number {
    return this.clickSignals(campaign, recipient, linkId, at).recentClicks;
  }

  /**
   * noteClick() and firstOpenAt() in one lookup of the recipient: what classify() wants of a
   * click (the tracker's hot path; the separate calls were two keys built and looked up).
   */
  clickSignals(
    campaign: string,
    recipient: string,
    linkId: string,
    at: number,
  ): { recentClicks: number; firstOpenAt: number | undefined } {
    const k = key(campaign, recipient);
    if (!Number.isFinite(at)) return { recentClicks: 0, firstOpenAt: this.peek(k)?.firstOpenAt };
    const e = this.touch(k);
    let clicks = e.clicks;
    if (!clicks) {
      clicks = new Map();
      e.clicks = clicks;
    }
    let stamps = clicks.get(linkId);
    if (stamps) {
      // Re-insert below: most recently clicked goes last (nothing to move for a lone link).
      if (clicks.size > 1) clicks.delete(linkId);
    } else {
      if (clicks.size >= MAX_LINKS_PER_RECIPIENT) {
        const oldest = clicks.keys().next();
        if (!oldest.done) clicks.delete(oldest.value);
      }
      stamps = [];
    }
    if (!clicks.has(linkId)) clicks.set(linkId, stamps);
    stamps.push(at);
    if (stamps.length > MAX_STAMPS_PER_LINK) stamps.shift();

    let distinct = 0;
    for (const list of clicks.values()) {
      for (const t of list) {
        if (t <= at && at - t <= BURST_WINDOW_MS) {
          distinct++;
          break;
        }
      }
    }
    return { recentClicks: distinct, firstOpenAt: e.firstOpenAt };
  }

  /** Earliest open seen for this recipient, if still remembered. Reading does not refresh recency. */
  firstOpenAt(campaign: string, recipient: string): number | undefined {
    return this.peek(key(campaign, recipient))?.firstOpenAt;
  }

  private peek(k: string): Entry | undefined {
    return this.young.get(k) ?? this.old.get(k);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  /** Gets or creates the entry; promotes it from the old generation; bounded by maxEntries. */
  private touch(k: string): Entry {
    const e = this.young.get(k);
    if (e) return e;
    const o = this.old.get(k);
    if (o) this.old.delete(k);
    const entry = o ?? { firstOpenAt: undefined, clicks: undefined };
    if (this.young.size >= Math.max(1, Math.floor(this.maxEntries / 2))) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(k, entry);
    return entry;
  }
}

/** NUL cannot appear in a campaign id or an address, so the pair maps to one key unambiguously. */
function key(campaign: string, recipient: string): string {
  return `${campaign}\u0000${recipient}`;
}
