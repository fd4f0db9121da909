import { join } from "node:path";
import { createMemoryDecisionLog } from "../../src/core/testing/memory-decision-log.js";
import { createSqliteDecisionLog } from "../../src/node/sqlite/decision-store.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
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
