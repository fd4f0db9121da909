import { createMemoryDecisionLog } from "../../src/core/testing/memory-decision-log.js";
import { createSqliteDecisionLog } from "../../src/node/sqlite/decision-store.js";
import { decisionLogContract } from "./decision-log.contract.js";
import { sqliteAdapter } from "./sqlite-adapters.js";

decisionLogContract("memory", async () => ({ log: createMemoryDecisionLog() }));

const sqlite = sqliteAdapter("decisions", (db, store) =>
  createSqliteDecisionLog(db, {
    writeOffThread: store?.writeDecisions,
    purgeOffThread: store?.purgeBlocks,
    eraseOffThread: store?.eraseDecisions,
  }),
);
const asLog = async (open: typeof sqlite.plain) => {
  const { adapter, reopen } = await open();
  return { log: adapter, reopen };
};
decisionLogContract("sqlite", () => asLog(sqlite.plain));
// As the server runs it: batches, erasures and deleted blocks' rows on the event-writer thread.
decisionLogContract("sqlite, written on the event-writer thread", () => asLog(sqlite.threaded));
