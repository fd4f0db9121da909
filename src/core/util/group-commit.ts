import type { Logger } from "../ports/index.js";

/**
 * A group-commit buffer: items join an in-memory batch that `write` takes in ONE call every
 * `windowMs` (or as soon as `maxBatch` are waiting), so the caller never waits on a disk.
 * Writes are serialised (order kept, never two at once). A failed write keeps its batch
 * for the next tick; the buffer is bounded by `maxBuffered` (the oldest are then dropped,
 * a hundredth of the bound at a time, counted and logged, never silently). close() flushes
 * everything (graceful shutdown).
 */
export interface GroupCommitOptions<T> {
  write: (batch: T[]) => Promise<void>;
  windowMs: number;
  maxBatch: number;
  maxBuffered: number;
  logger?: Logger;
  /** Names the batches in the failure log line ("event", "decision"…). */
  what: string;
  /** After each successful write, with its duration. */
  onWritten?: (batch: T[], ms: number) => void;
  /** When the bound drops the oldest item. */
  onDropped?: (item: T) => void;
}

export interface GroupCommit<T> {
  add(item: T): void;
  /** Writes everything buffered now; resolves when it is written. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. add() after close() still works but flushes at once. */
  close(): Promise<void>;
  /** Removes buffered items (not yet written) that match. */
  discard(match: (item: T) => boolean): void;
  readonly pending: number;
  readonly dropped: number;
}

export function createGroupCommit<T>(o: GroupCommitOptions<T>): GroupCommit<T> {
  let buffer: T[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inflight: Promise<void> = Promise.resolve();
  let closed = false;
  let dropped = 0;

  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      void flushWindow();
    }, o.windowMs);
    (timer as { unref?: () => void }).unref?.();
  };

  // A timer's write takes one batch and leaves what arrived meanwhile for the next window:
  // draining at once would turn a busy stream into back-to-back small transactions (one
  // per round trip to the writer), each dirtying the same random index pages again.
  // flush() and close() write everything there is.
  const writeBatches = (untilEmpty: boolean) => async (): Promise<void> => {
    while (buffer.length > 0) {
      const batch = buffer.length > o.maxBatch ? buffer.splice(0, o.maxBatch) : buffer;
      if (batch === buffer) buffer = [];
      const started = performance.now();
      try {
        await o.write(batch);
      } catch (err) {
        buffer = batch.concat(buffer);
        o.logger?.error({ err, size: batch.length }, `${o.what} batch write failed; will retry`);
        schedule();
        return;
      }
      o.onWritten?.(batch, performance.now() - started);
      if (!untilEmpty && buffer.length < o.maxBatch) {
        if (buffer.length > 0) schedule();
        return;
      }
    }
  };
  const writeOnce = writeBatches(true);
  const writeWindow = writeBatches(false);

  // At most one flush waits behind the write in flight: it drains everything when it starts,
  // so a later flush() is answered by it (one per call would allocate a promise per add()
  // past maxBatch while the writer lags).
  let queued: Promise<void> | null = null;
  const startQueued = () => {
    queued = null;
    return writeOnce();
  };
  const flush = (): Promise<void> => {
    if (queued) return queued;
    queued = inflight = inflight.then(startQueued, startQueued);
    return queued;
  };
  const flushWindow = (): Promise<void> => {
    inflight = inflight.then(writeWindow, writeWindow);
    return inflight;
  };

  // The oldest go a hundredth of the bound at a time: one at a time was a splice of the
  // whole buffer per add(), which made a stalled store stall every redirect too.
  const dropChunk = Math.max(1, Math.ceil(o.maxBuffered / 100));
  const dropOldest = () => {
    const gone = buffer.splice(0, Math.min(buffer.length, dropChunk));
    dropped += gone.length;
    if (o.onDropped) for (const item of gone) o.onDropped(item);
    o.logger?.warn(
      { dropped: gone.length, droppedSoFar: dropped, buffered: buffer.length },
      `${o.what} buffer full (the store is not taking batches): the oldest were dropped`,
    );
  };

  return {
    add(item) {
      if (buffer.length >= o.maxBuffered) dropOldest();
      buffer.push(item);
      if (closed || buffer.length >= o.maxBatch) void flush();
      else schedule();
    },
    flush,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await flush();
    },
    discard(match) {
      if (buffer.some(match)) buffer = buffer.filter((x) => !match(x));
    },
    get pending() {
      return buffer.length;
    },
    get dropped() {
      return dropped;
    },
  };
}
