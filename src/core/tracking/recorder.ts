import type { EventLog, Logger, TrackEvent } from "../ports/index.js";
import { createGroupCommit } from "../util/group-commit.js";

/**
 * Group commit for opens and clicks. A redirect or pixel never waits on the disk: the
 * event joins an in-memory batch that is written in ONE transaction every `windowMs`
 * (or as soon as `maxBatch` events are waiting). A crash can lose at most the events
 * of the current window; a graceful shutdown calls close(), which flushes everything.
 *
 * If the store fails, the batch is kept and retried on the next tick; the buffer is
 * bounded by `maxBuffered` so a dead disk cannot eat the memory (the oldest are then
 * dropped and counted, never silently).
 */
export interface RecorderOptions {
  events: EventLog;
  windowMs?: number;
  maxBatch?: number;
  maxBuffered?: number;
  logger?: Logger;
  onFlush?: (size: number, ms: number) => void;
}

export interface Recorder {
  record(event: TrackEvent): void;
  /**
   * Writes everything buffered now; resolves when it is durable and every read sees it
   * (email activity included: the log's settle()).
   */
  flush(): Promise<void>;
  /** Flushes and stops the timer. record() after close() still works but flushes at once. */
  close(): Promise<void>;
  readonly pending: number;
  readonly dropped: number;
}

export function createRecorder({
  events,
  windowMs = 50,
  maxBatch = 2000,
  maxBuffered = 500_000,
  logger,
  onFlush,
}: RecorderOptions): Recorder {
  const gc = createGroupCommit<TrackEvent>({
    write: (batch) => events.append(batch),
    windowMs,
    maxBatch,
    maxBuffered,
    logger,
    what: "event",
    onWritten: onFlush ? (batch, ms) => onFlush(batch.length, ms) : undefined,
  });
  return {
    record: (event) => gc.add(event),
    flush: async () => {
      await gc.flush();
      // A failed settle leaves derived reads a few seconds behind; the hits are in the log.
      await events.settle?.().catch((err: unknown) => {
        logger?.warn({ err }, "email activity could not be brought up to date before a read");
      });
    },
    close: () => gc.close(),
    get pending() {
      return gc.pending;
    },
    get dropped() {
      return gc.dropped;
    },
  };
}
