import { MemoryLearningStore } from "../../src/core/learning/memory-store.js";
import { SqliteLearningStore } from "../../src/node/sqlite/learning-store.js";
import { learningStoreContract } from "./learning-store.contract.js";
import { sqliteAdapter } from "./sqlite-adapters.js";

learningStoreContract("memory", async () => ({ store: new MemoryLearningStore() }));

const sqlite = sqliteAdapter("learning", (db) => new SqliteLearningStore(db));
learningStoreContract("sqlite", async () => {
  const { adapter, reopen } = await sqlite.plain();
  return { store: adapter, reopen };
});
