import { join } from "node:path";
import { createSqliteProfileStore } from "../../src/node/sqlite/profile-store.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";
import { profileStoreContract } from "./profile-store.contract.js";

profileStoreContract("sqlite", async () => {
  const file = join(tempDir(), "profiles.db");
  const db = openDatabase(file);
  return {
    store: createSqliteProfileStore(db),
    reopen: async () => {
      db.close();
      return createSqliteProfileStore(openDatabase(file));
    },
  };
});
