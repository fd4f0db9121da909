import { createMemoryCatalogStore } from "../../src/core/testing/memory-catalog-store.js";
import { catalogStoreContract } from "./catalog-store.contract.js";

catalogStoreContract("memory", async () => ({ store: createMemoryCatalogStore() }));
