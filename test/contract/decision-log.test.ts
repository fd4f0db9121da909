import { join } from "node:path";
import { afterAll } from "vitest";
import { createMemoryDecisionLog } from "../../src/core/testing/memory-decision-log.js";
import { createSqliteDecisionLog } from "../../src/node/sqlite/decision-store.js";
import { createSqliteStore, openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";
import { decisionLogContract } from "./decision-log.contract.js";

decisionLogContract("memory", async () => ({ log: createMemoryDecisionLog() }));

decisionLogContract("sqlite", async () => {
  const file = join(tempDir(), "decisions.db");
  const db = openDatabase(file);
  return {
    log: createSqliteDecisionLog(db),
    reopen: async () => {
      db.close();
      return createSqliteDecisionLog(openDatabase(file));
    },
  };
});

// As the server runs it: batches committed on the event-writer thread, reads on this connection.
const threaded: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of threaded) await s.close();
});
decisionLogContract("sqlite, written on the event-writer thread", async () => {
  const file = join(tempDir(), "decisions.db");
  const store = createSqliteStore(file, { offThreadWrites: true });
  threaded.push(store);
  return {
    log: createSqliteDecisionLog(store.db, { writeOffThread: store.writeDecisions }),
    reopen: async () => {
      await store.close();
      const again = createSqliteStore(file, { offThreadWrites: true });
      threaded.push(again);
      return createSqliteDecisionLog(again.db, { writeOffThread: again.writeDecisions });
    },
  };
});
