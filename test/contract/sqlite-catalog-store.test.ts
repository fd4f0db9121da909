import { join } from "node:path";
import { createSqliteCatalogStore } from "../../src/node/sqlite/catalog-store.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";
import { catalogStoreContract } from "./catalog-store.contract.js";

catalogStoreContract("sqlite", async () => {
  const file = join(tempDir(), "catalog.db");
  const db = openDatabase(file);
  return {
    store: createSqliteCatalogStore(db),
    reopen: async () => {
      db.close();
      return createSqliteCatalogStore(openDatabase(file));
    },
  };
});
