import type { EventLog, Logger, TrackEvent } from "../ports/index.js";

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
  /** Writes everything buffered now; resolves when it is durable. */
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
  let buffer: TrackEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inflight: Promise<void> = Promise.resolve();
  let closed = false;
  let dropped = 0;

  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, windowMs);
    // Never keep a process alive just for the timer (Node); harmless elsewhere.
    (timer as { unref?: () => void }).unref?.();
  };

  const writeOnce = async (): Promise<void> => {
    while (buffer.length > 0) {
      // Take the batch out before awaiting: events recorded meanwhile go to a fresh buffer.
      const batch = buffer.length > maxBatch ? buffer.splice(0, maxBatch) : buffer;
      if (batch === buffer) buffer = [];
      const started = performance.now();
      try {
        await events.append(batch);
      } catch (err) {
        buffer = batch.concat(buffer);
        logger?.error({ err, size: batch.length }, "event batch write failed; will retry");
        schedule();
        return;
      }
      onFlush?.(batch.length, performance.now() - started);
    }
  };

  // Serialise flushes so two batches never interleave and order is kept.
  const flush = (): Promise<void> => {
    inflight = inflight.then(writeOnce, writeOnce);
    return inflight;
  };

  return {
    record(event) {
      if (buffer.length >= maxBuffered) {
        buffer.shift();
        dropped++;
      }
      buffer.push(event);
      if (closed || buffer.length >= maxBatch) void flush();
      else schedule();
    },
    flush,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await flush();
    },
    get pending() {
      return buffer.length;
    },
    get dropped() {
      return dropped;
    },
  };
}
