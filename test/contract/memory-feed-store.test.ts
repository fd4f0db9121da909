import { createMemoryFeedStore } from "../../src/core/testing/memory-feed-store.js";
import { feedStoreContract } from "./feed-store.contract.js";

feedStoreContract("memory", async () => ({ store: createMemoryFeedStore() }));
