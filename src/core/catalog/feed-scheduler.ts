import type { FeedStore } from "../ports/feeds.js";
import type { Clock, Logger } from "../ports/index.js";
import type { Intervals } from "../ports/intervals.js";
import { type FeedImporter, feedRunOf } from "./import.js";

/** How often due feeds are looked for; a feed's own interval is at least 5 minutes. */
export const FEED_TICK_MS = 30_000;
/** Feeds claimed per store call: each import can take seconds, later ones wait for the next call. */
const CLAIM_BATCH = 5;

/**
 * Re-imports stored feeds when they are due, one at a time, so a tick never runs two large
 * imports side by side; a tick that finds the previous one still running just waits for it.
 * The store moves each claimed feed to its next run before it is imported (see claimDue),
 * so a failure is retried at the next interval, not at every tick.
 */
export class FeedScheduler {
  private running: Promise<void> | null = null;

  constructor(
    private readonly feeds: FeedStore,
    private readonly importer: FeedImporter,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(intervals: Intervals, everyMs = FEED_TICK_MS): void {
    intervals.every(everyMs, () => this.tick());
  }

  /** Imports every feed due now. */
  tick(): Promise<void> {
    this.running ??= this.runDue().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runDue(): Promise<void> {
    for (;;) {
      const due = await this.feeds.claimDue(this.clock.now(), CLAIM_BATCH);
      if (due.length === 0) return;
      for (const feed of due) {
        const at = this.clock.now();
        try {
          const result = await this.importer.run(feed.url, feed.format);
          const run = feedRunOf(result, at);
          if (run.status === "failed")
            this.logger.warn({ feed: feed.id, url: feed.url, message: run.message }, "feed import failed");
          await this.feeds.recordRun(feed.id, run);
        } catch (err) {
          this.logger.error({ err, feed: feed.id }, "feed import failed");
          await this.feeds.recordRun(feed.id, {
            at,
            status: "failed",
            message: "internal error",
            counts: null,
          });
        }
      }
      if (due.length < CLAIM_BATCH) return;
    }
  }
}
