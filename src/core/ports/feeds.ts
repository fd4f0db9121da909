// Catalog feeds re-imported on a schedule. SQLite implements the store in
// src/node/sqlite/feed-store.ts; the in-memory fake is src/core/testing/memory-feed-store.ts.

export const FEED_FORMATS = ["json", "csv"] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** ok: every row imported; partial: some rows rejected; failed: nothing written (fetch or feed error). */
export type FeedStatus = "ok" | "partial" | "failed";

export interface FeedCounts {
  /** Products created or changed. */
  imported: number;
  unchanged: number;
  rejected: number;
}

export interface FeedRun {
  at: number;
  status: FeedStatus;
  /** Why it failed, or the first rejected row's message. */
  message: string | null;
  counts: FeedCounts | null;
}

export interface FeedRecord {
  id: string;
  url: string;
  /** null: decided per run from the content type, the extension, then the first byte. */
  format: FeedFormat | null;
  everyMinutes: number;
  createdAt: number;
  nextRunAt: number;
  lastRunAt: number | null;
  lastStatus: FeedStatus | null;
  lastMessage: string | null;
  lastCounts: FeedCounts | null;
}

export interface FeedStore {
  /**
   * One feed per URL: saving a URL that is already stored updates everything but its id and
   * creation time. Returns the feed as stored.
   */
  save(feed: FeedRecord): Promise<FeedRecord>;
  /** Oldest first. */
  list(): Promise<FeedRecord[]>;
  delete(id: string): Promise<boolean>;
  /**
   * Takes up to `limit` feeds due at `now` (soonest due first) and moves each one's next run
   * to `now` + its interval in the same step, so an overlapping tick or a second process
   * never runs it twice, and a crash mid-run does not turn into a retry loop.
   */
  claimDue(now: number, limit: number): Promise<FeedRecord[]>;
  /** Records a run's outcome; a feed deleted meanwhile is left deleted. */
  recordRun(id: string, run: FeedRun): Promise<void>;
}
