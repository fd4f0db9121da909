import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll } from "vitest";
import { createSqliteStore, openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";

type Store = ReturnType<typeof createSqliteStore>;

/**
 * An adapter on a fresh SQLite file, and the same file reopened, for contract suites:
 * `plain` on one connection; `threaded` as the server runs it (writes through the
 * event-writer thread of a store opened with offThreadWrites, reads on its connection).
 */
export function sqliteAdapter<A>(name: string, make: (db: Database.Database, store?: Store) => A) {
  return {
    plain: async () => {
      const file = join(tempDir(), `${name}.db`);
      const db = openDatabase(file);
      return {
        adapter: make(db),
        reopen: async () => {
          db.close();
          return make(openDatabase(file));
        },
      };
    },
    threaded: async () => {
      const file = join(tempDir(), `${name}.db`);
      const store = createSqliteStore(file, { offThreadWrites: true });
      stores.push(store);
      return {
        adapter: make(store.db, store),
        reopen: async () => {
          await store.close();
          const again = createSqliteStore(file, { offThreadWrites: true });
          stores.push(again);
          return make(again.db, again);
        },
      };
    },
  };
}

// Writer threads of the threaded runs stop with the file's tests (closing twice is a no-op).
const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});
