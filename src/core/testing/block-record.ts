import type { BlockRecord } from "../ports/index.js";

/** A stored block for tests: a countdown with no options, version 1, made at 1, with `over` applied. */
export function blockRecord(id: string, over: Partial<BlockRecord> = {}): BlockRecord {
  return { id, type: "countdown", options: {}, version: 1, createdAt: 1, updatedAt: 1, ...over };
}
