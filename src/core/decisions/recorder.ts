import type { DecisionEntry, DecisionLog, LastDecision, VariantCounts } from "../ports/decisions.js";
import type { Logger } from "../ports/index.js";

/**
 * Group commit for the decision log, like the tracking recorder: an image or a redirect
 * never waits on the disk. Entries join an in-memory batch written in ONE call every
 * `windowMs` (or once `maxBatch` are waiting); close() flushes everything (graceful
 * shutdown). A failed write keeps the batch for the next tick; the buffer is bounded by
 * `maxBuffered` (the oldest are dropped and counted, never silently).
 *
 * Reads see what is still buffered: a click right after its open (inside the window)
 * resolves to what was just shown, without forcing a write on the click path.
 */
export interface DecisionRecorderOptions {
  log: DecisionLog;
  windowMs?: number;
  maxBatch?: number;
  maxBuffered?: number;
  logger?: Logger;
}

export interface DecisionRecorder {
  record(entry: DecisionEntry): void;
  lastFor(blockId: string, recipient: string): Promise<LastDecision | null>;
  /** Counts with everything recorded so far written first (read-your-writes for stats). */
  countsByVariant(blockId: string): Promise<VariantCounts[]>;
  /** Writes what is buffered, then erases the recipient (nothing buffered escapes it). */
  eraseRecipient(recipient: string): Promise<number>;
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly pending: number;
  readonly dropped: number;
}

const key = (blockId: string, recipient: string) => `${blockId}\u0000${recipient}`;

export function createDecisionRecorder({
  log,
  windowMs = 50,
  maxBatch = 2000,
  maxBuffered = 200_000,
  logger,
}: DecisionRecorderOptions): DecisionRecorder {
  let buffer: DecisionEntry[] = [];
  // The latest buffered open per block and recipient; an entry leaves once it is written.
  const unwritten = new Map<string, { d: LastDecision; entry: DecisionEntry }>();
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
    (timer as { unref?: () => void }).unref?.();
  };

  const forget = (batch: readonly DecisionEntry[]) => {
    for (const e of batch) {
      if (e.kind !== "open" || !e.recipient) continue;
      const k = key(e.blockId, e.recipient);
      if (unwritten.get(k)?.entry === e) unwritten.delete(k);
    }
  };

  const writeOnce = async (): Promise<void> => {
    while (buffer.length > 0) {
      const batch = buffer.length > maxBatch ? buffer.splice(0, maxBatch) : buffer;
      if (batch === buffer) buffer = [];
      try {
        await log.record(batch);
      } catch (err) {
        buffer = batch.concat(buffer);
        logger?.error({ err, size: batch.length }, "decision batch write failed; will retry");
        schedule();
        return;
      }
      forget(batch);
    }
  };

  // Serialised so two batches never interleave and order is kept.
  const flush = (): Promise<void> => {
    inflight = inflight.then(writeOnce, writeOnce);
    return inflight;
  };

  return {
    record(entry) {
      if (buffer.length >= maxBuffered) {
        forget(buffer.splice(0, 1));
        dropped++;
      }
      buffer.push(entry);
      if (entry.kind === "open" && entry.recipient) {
        const d = { variant: entry.variant, slots: entry.slots, at: entry.at };
        unwritten.set(key(entry.blockId, entry.recipient), { d, entry });
      }
      if (closed || buffer.length >= maxBatch) void flush();
      else schedule();
    },
    async lastFor(blockId, recipient) {
      const mem = unwritten.get(key(blockId, recipient));
      if (mem) return { ...mem.d, slots: { ...mem.d.slots } };
      return log.lastFor(blockId, recipient);
    },
    async countsByVariant(blockId) {
      await flush();
      return log.countsByVariant(blockId);
    },
    async eraseRecipient(recipient) {
      await flush();
      // A write that failed just now keeps its batch for a retry: none of it may be theirs.
      if (buffer.some((e) => e.recipient === recipient)) {
        buffer = buffer.filter((e) => e.recipient !== recipient);
        for (const [k, v] of unwritten) if (v.entry.recipient === recipient) unwritten.delete(k);
      }
      return log.eraseRecipient(recipient);
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

/** A log that keeps nothing: servers built without one (adaptive links use default slots). */
export const noDecisionLog: DecisionLog = {
  async record() {},
  async lastFor() {
    return null;
  },
  async countsByVariant() {
    return [];
  },
  async eraseRecipient() {
    return 0;
  },
};
