import { createMemorySendingStore } from "../../src/core/testing/memory-sending-store.js";
import { sendingStoreContract } from "./sending-store.contract.js";

sendingStoreContract("memory", async () => ({ store: createMemorySendingStore() }));
