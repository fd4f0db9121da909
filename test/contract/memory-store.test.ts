import { createMemoryStore } from "../../src/core/testing/memory-store.js";
import { storeContract } from "./store.contract.js";

storeContract("memory", async () => ({ store: createMemoryStore() }));
