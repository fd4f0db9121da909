import { workerData } from "node:worker_threads";
import type { SendWrite } from "../../core/ports/sending.js";
import { createSqliteSendingStore } from "../sqlite/sending-store.js";
import { openDatabase } from "../sqlite/store.js";
import { shareLockWaiters } from "../sqlite/write-lock.js";
import { serveRpc } from "../worker-rpc.js";

// The sends writer: every attempt's state change (a decision, a provider's answer, an event
// joined back) is committed here, on its own connection, so the main thread never waits on
// the fsync of a send while it has opens, clicks and requests to answer.
const { file, lockWaiters } = workerData as { file: string; lockWaiters?: SharedArrayBuffer };
shareLockWaiters(lockWaiters, "sends_writer");
const db = openDatabase(file);
const store = createSqliteSendingStore(db);

serveRpc({ write: async (batch: SendWrite[]) => store.sends.write(batch) }, async () => {
  db.close();
});
