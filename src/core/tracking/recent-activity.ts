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

import type { TrafficClass } from "./classify.js";

/** Window for "links clicked at once". */
export const BURST_WINDOW_MS = 2000;
export const DEFAULT_MAX_ENTRIES = 100_000;
/** A scanner walking a huge newsletter still shows up as a burst long before 32 links. */
export const MAX_LINKS_PER_RECIPIENT = 32;
export const MAX_STAMPS_PER_LINK = 4;

/**
 * Classes a burst overrides (classify.ts ranks a scanner above them): a click given one of
 * them inside a burst window is remembered until the window has passed, in case the burst
 * turns out to be a scanner's.
 */
const OVERRIDDEN: ReadonlySet<TrafficClass> = new Set(["human", "bot", "unknown"]);

/** A click of a burst that was classified before the burst gave the scanner away. */
export interface EarlierClick {
  at: number;
  linkId: string | null;
  class: TrafficClass;
}

interface Entry {
  firstOpenAt: number | undefined;
  /** linkId -> last few click times; Map order = least recently clicked first. */
  clicks: Map<string, number[]> | undefined;
  /** Clicks of the last BURST_WINDOW_MS with an OVERRIDDEN class, oldest first (bounded). */
  maybeScanned: EarlierClick[] | undefined;
}

/** What classify() needs of a click, and the recipient's memory to note its class in. */
export interface ClickSignals {
  recentClicks: number;
  firstOpenAt: number | undefined;
  /** For classified(); undefined when the click's time is not a time. */
  entry: unknown;
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
  clickSignals(campaign: string, recipient: string, linkId: string, at: number): ClickSignals {
    const k = key(campaign, recipient);
    if (!Number.isFinite(at))
      return { recentClicks: 0, firstOpenAt: this.peek(k)?.firstOpenAt, entry: undefined };
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
    return { recentClicks: distinct, firstOpenAt: e.firstOpenAt, entry: e };
  }

  /**
   * Notes the class classify() gave the click `signals` were read for. When that click gave
   * a scanner away (`burst`: the distinct links of the window reached classify's MANY_LINKS),
   * returns the earlier clicks of the burst that were given a class it overrides, to be
   * corrected (each once); otherwise remembers this one for the window, in case it is.
   */
  classified(
    signals: ClickSignals,
    linkId: string | null,
    at: number,
    cls: TrafficClass,
    burst: boolean,
  ): readonly EarlierClick[] {
    const e = signals.entry as Entry | undefined;
    if (!e) return NONE;
    let list = e.maybeScanned;
    // Older than the window: no later click can make them part of a burst.
    while (list?.length && !(at - list[0]!.at <= BURST_WINDOW_MS)) list.shift();
    if (burst) {
      e.maybeScanned = undefined;
      return list?.length ? list.filter((c) => c.at <= at) : NONE;
    }
    if (!OVERRIDDEN.has(cls)) return NONE;
    list ??= e.maybeScanned = [];
    if (list.length >= MAX_LINKS_PER_RECIPIENT) list.shift();
    list.push({ at, linkId, class: cls });
    return NONE;
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
    const entry = o ?? { firstOpenAt: undefined, clicks: undefined, maybeScanned: undefined };
    if (this.young.size >= Math.max(1, Math.floor(this.maxEntries / 2))) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(k, entry);
    return entry;
  }
}

const NONE: readonly EarlierClick[] = [];

/** NUL cannot appear in a campaign id or an address, so the pair maps to one key unambiguously. */
function key(campaign: string, recipient: string): string {
  return `${campaign}\u0000${recipient}`;
}
