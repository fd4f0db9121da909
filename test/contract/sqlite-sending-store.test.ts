import { join } from "node:path";
import { createSqliteSendingStore } from "../../src/node/sqlite/sending-store.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";
import { sendingStoreContract } from "./sending-store.contract.js";

sendingStoreContract("sqlite", async () => {
  const file = join(tempDir(), "sending.db");
  const db = openDatabase(file);
  return {
    store: createSqliteSendingStore(db),
    reopen: async () => {
      db.close();
      return createSqliteSendingStore(openDatabase(file));
    },
  };
});
