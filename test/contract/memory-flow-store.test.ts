import { MemoryFlowStore } from "../../src/core/flows/memory-flow-store.js";
import { flowStoreContract } from "./flow-store.contract.js";

flowStoreContract("memory", async () => ({ store: new MemoryFlowStore() }));
