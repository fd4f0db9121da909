import { join } from "node:path";
import { SqliteFlowStore } from "../../src/node/sqlite/flow-store.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";
import { flowStoreContract } from "./flow-store.contract.js";

flowStoreContract("sqlite", async () => {
  const file = join(tempDir(), "flows.db");
  const db = openDatabase(file);
  return {
    store: new SqliteFlowStore(db),
    reopen: async () => {
      db.close();
      return new SqliteFlowStore(openDatabase(file));
    },
  };
});
