import type Database from "better-sqlite3";
import type { Logger } from "../../core/ports/index.js";
import type { SendingStore, SendWrite } from "../../core/ports/sending.js";
import { createSqliteSendingStore } from "../sqlite/sending-store.js";
import { lockWaiters } from "../sqlite/write-lock.js";
import { WorkerRpc } from "../worker-rpc.js";
import { startModuleWorker } from "../worker-thread.js";

/**
 * The SQLite sending store with attempt writes on a writer thread (sends-writer.worker.ts)
 * and everything else on the main connection: reads (WAL: a read after an acknowledged
 * write sees it) and template writes, which are rare.
 */
export function createThreadedSendingStore(
  db: Database.Database,
  file: string,
  logger?: Logger,
): SendingStore & { close(): Promise<void> } {
  const main = createSqliteSendingStore(db);
  // Started at the first write: a server that never sends starts no thread (nor, under tsx,
  // the loader the thread registers), and a restart that resumes nothing stays as quick.
  let rpc: WorkerRpc | null = null;
  const writer = () => {
    rpc ??= new WorkerRpc(
      startModuleWorker(import.meta.url, "./sends-writer.worker", { file, lockWaiters: lockWaiters() }),
      logger,
    );
    return rpc;
  };
  return {
    templates: main.templates,
    sends: { ...main.sends, write: (batch: readonly SendWrite[]) => writer().call("write", batch) },
    close: async () => {
      await rpc?.close();
    },
  };
}
