import type { DecisionEntry, DecisionLog, LastDecision, VariantCounts } from "../ports/decisions.js";
import type { Logger } from "../ports/index.js";
import { createGroupCommit } from "../util/group-commit.js";

/**
 * Group commit for the decision log (util/group-commit.ts, like the tracking recorder): an
 * image or a redirect never waits on the disk.
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
  /** Writes what is buffered, then forgets a deleted block's decisions. */
  deleteBlock(blockId: string): Promise<number>;
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
  // The latest buffered open per block and recipient; an entry leaves once it is written.
  const unwritten = new Map<string, { d: LastDecision; entry: DecisionEntry }>();
  const forget = (e: DecisionEntry) => {
    if (e.kind !== "open" || !e.recipient) return;
    const k = key(e.blockId, e.recipient);
    if (unwritten.get(k)?.entry === e) unwritten.delete(k);
  };
  const gc = createGroupCommit<DecisionEntry>({
    write: (batch) => log.record(batch),
    windowMs,
    maxBatch,
    maxBuffered,
    logger,
    what: "decision",
    onWritten: (batch) => {
      for (const e of batch) forget(e);
    },
    onDropped: forget,
  });

  return {
    record(entry) {
      gc.add(entry);
      if (entry.kind === "open" && entry.recipient) {
        const d = { variant: entry.variant, slots: entry.slots, at: entry.at };
        unwritten.set(key(entry.blockId, entry.recipient), { d, entry });
      }
    },
    async lastFor(blockId, recipient) {
      const mem = unwritten.get(key(blockId, recipient));
      if (mem) return { ...mem.d, slots: { ...mem.d.slots } };
      return log.lastFor(blockId, recipient);
    },
    async countsByVariant(blockId) {
      await gc.flush();
      return log.countsByVariant(blockId);
    },
    async eraseRecipient(recipient) {
      await gc.flush();
      // A write that failed just now keeps its batch for a retry: none of it may be theirs.
      gc.discard((e) => e.recipient === recipient);
      for (const [k, v] of unwritten) if (v.entry.recipient === recipient) unwritten.delete(k);
      return log.eraseRecipient(recipient);
    },
    async deleteBlock(blockId) {
      await gc.flush();
      gc.discard((e) => e.blockId === blockId);
      for (const [k, v] of unwritten) if (v.entry.blockId === blockId) unwritten.delete(k);
      return log.deleteBlock(blockId);
    },
    flush: () => gc.flush(),
    close: () => gc.close(),
    get pending() {
      return gc.pending;
    },
    get dropped() {
      return gc.dropped;
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
  async deleteBlock() {
    return 0;
  },
};
