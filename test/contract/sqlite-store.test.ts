import { join } from "node:path";
import { createSqliteStore } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";
import { storeContract } from "./store.contract.js";

storeContract("sqlite", async () => {
  const file = join(tempDir(), "store.db");
  return { store: createSqliteStore(file), reopen: async () => createSqliteStore(file) };
});

storeContract("sqlite, writes on a worker thread", async () => {
  const file = join(tempDir(), "store.db");
  return {
    store: createSqliteStore(file, { offThreadWrites: true }),
    reopen: async () => createSqliteStore(file, { offThreadWrites: true }),
  };
});

// The server's: uniques and email activity folded from the log on the writer thread.
storeContract("sqlite, uniques folded from the log on a worker thread", async () => {
  const file = join(tempDir(), "store.db");
  const opts = { offThreadWrites: true, offThreadProfiles: { secret: "s".repeat(32) } };
  return { store: createSqliteStore(file, opts), reopen: async () => createSqliteStore(file, opts) };
});
