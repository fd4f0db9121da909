import type { ProductInput, UpsertResult } from "../../core/ports/catalog.js";
import type { DecisionEntry } from "../../core/ports/decisions.js";
import type { Logger, TrackEvent } from "../../core/ports/index.js";
import { WorkerRpc } from "../worker-rpc.js";
import { startModuleWorker } from "../worker-thread.js";
import { toWire, wireTransfer } from "./event-wire.js";
import type { FirstSeen } from "./first-seen.js";
import { lockWaiters } from "./write-lock.js";

/**
 * The main-thread side of the event writer: batches go to a worker thread that owns its
 * own SQLite connection (WAL lets it write while the main connection reads), and each
 * append resolves once that batch is committed. Replies come back in order, one per batch.
 * With `profiles`, the thread also adds the opens/clicks to the recipients' email activity,
 * every few seconds (activity-fold.ts); settle() has it done now.
 */
export interface EventWriterThread {
  append(batch: readonly TrackEvent[]): Promise<void>;
  /** Resolves once email activity has every batch appended before it. */
  settle(): Promise<void>;
  /** Render decisions, committed on the same thread (see decision-store.ts). */
  decisions(batch: readonly DecisionEntry[]): Promise<void>;
  /** First opens of evergreen timers (see first-seen.ts). */
  firstSeen(batch: readonly FirstSeen[]): Promise<void>;
  /** Catalog writes (see catalog-store.ts), each its own transaction, answered with its counts. */
  upsertProducts(products: readonly ProductInput[], at: number): Promise<UpsertResult>;
  /**
   * Starts deleting what deleted blocks left, a slice at a time (block-purge.ts); marks
   * `blockId` deleted first when given (on the thread's connection: no write here waits
   * for the lock behind a slice).
   */
  purgeBlocks(blockId?: string): Promise<void>;
  /** Erases a person's render decisions (decision-store.ts), answered with the rows removed. */
  eraseDecisions(recipient: string): Promise<number>;
  close(): Promise<void>;
}

export function startEventWriterThread(
  file: string,
  profiles?: { secret: string; logger?: Logger; foldMs?: number },
  retentionDays = 0,
): EventWriterThread {
  const workerData = {
    file,
    profileSecret: profiles?.secret ?? null,
    retentionDays,
    foldMs: profiles?.foldMs,
    lockWaiters: lockWaiters(),
  };
  const rpc = new WorkerRpc(
    startModuleWorker(import.meta.url, "./event-writer.worker", workerData),
    profiles?.logger,
  );
  return {
    append: (batch) => {
      const wire = toWire(batch);
      return rpc.callMoving<void>("append", wireTransfer(wire), wire);
    },
    settle: () => rpc.call<void>("settle"),
    decisions: (batch) => rpc.call<void>("decisions", batch),
    firstSeen: (batch) => rpc.call<void>("firstSeen", batch),
    upsertProducts: (products, at) => rpc.call<UpsertResult>("catalog", products, at),
    purgeBlocks: (blockId) => rpc.call<void>("purgeBlocks", blockId ?? null),
    eraseDecisions: (recipient) => rpc.call<number>("eraseDecisions", recipient),
    // The worker closes its connection after every batch already posted.
    close: () => rpc.close(),
  };
}
