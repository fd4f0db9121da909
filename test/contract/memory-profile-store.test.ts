import { createMemoryProfileStore } from "../../src/core/testing/memory-profile-store.js";
import { profileStoreContract } from "./profile-store.contract.js";

profileStoreContract("memory", async () => ({ store: createMemoryProfileStore() }));
