import { join } from "node:path";
import { createSqliteFeedStore } from "../../src/node/sqlite/feed-store.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";
import { feedStoreContract } from "./feed-store.contract.js";

feedStoreContract("sqlite", async () => {
  const file = join(tempDir(), "feeds.db");
  const db = openDatabase(file);
  return {
    store: createSqliteFeedStore(db),
    reopen: async () => {
      db.close();
      return createSqliteFeedStore(openDatabase(file));
    },
  };
});
