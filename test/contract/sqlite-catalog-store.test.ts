import { createSqliteCatalogStore } from "../../src/node/sqlite/catalog-store.js";
import { catalogStoreContract } from "./catalog-store.contract.js";
import { sqliteAdapter } from "./sqlite-adapters.js";

const sqlite = sqliteAdapter("catalog", (db, store) =>
  createSqliteCatalogStore(db, { upsertOffThread: store?.upsertProducts }),
);
const asStore = async (open: typeof sqlite.plain) => {
  const { adapter, reopen } = await open();
  return { store: adapter, reopen };
};
catalogStoreContract("sqlite", () => asStore(sqlite.plain));
// As the server runs it: writes committed on the event-writer thread.
catalogStoreContract("sqlite, written on the event-writer thread", () => asStore(sqlite.threaded));
