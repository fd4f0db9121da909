import { join } from "node:path";
import { afterAll } from "vitest";
import { createSqliteCatalogStore } from "../../src/node/sqlite/catalog-store.js";
import { createSqliteStore, openDatabase } from "../../src/node/sqlite/store.js";
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

// As the server runs it: writes committed on the event-writer thread, reads on this connection.
const threaded: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of threaded) await s.close();
});
catalogStoreContract("sqlite, written on the event-writer thread", async () => {
  const file = join(tempDir(), "catalog.db");
  const store = createSqliteStore(file, { offThreadWrites: true });
  threaded.push(store);
  return {
    store: createSqliteCatalogStore(store.db, { upsertOffThread: store.upsertProducts }),
    reopen: async () => {
      await store.close();
      const again = createSqliteStore(file, { offThreadWrites: true });
      threaded.push(again);
      return createSqliteCatalogStore(again.db, { upsertOffThread: again.upsertProducts });
    },
  };
});
