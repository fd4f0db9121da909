import type Database from "better-sqlite3";
import { recipientKey } from "../../core/profiles/identity.js";
import { erasedList } from "./erased-list.js";
import { immediate } from "./write-lock.js";

/** A recipient's first open of an evergreen timer: the start of their own deadline. */
export interface FirstSeen {
  blockId: string;
  recipient: string;
  at: number;
}

/**
 * Writes first opens in one transaction. A start already stored wins (ON CONFLICT DO
 * NOTHING: the earliest open is the start). With `hashOf` (the erased-person HMAC of an
 * identity key), people who were erased are skipped: a later open does not store them again.
 */
export function createFirstSeenWriter(
  db: Database.Database,
  hashOf?: (key: string) => string,
): (batch: readonly FirstSeen[]) => void {
  const insert = db.prepare(
    "INSERT INTO block_first_seen (block_id, recipient, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  );
  const erased = erasedList(db);
  const write = immediate(db, (batch: readonly FirstSeen[]) => {
    // Asked once per batch, in its transaction: while nobody was erased, nothing is hashed.
    const check = hashOf && erased.any() ? hashOf : null;
    for (const f of batch) {
      if (check && erased.has(check(recipientKey(f.recipient)))) continue;
      insert.run(f.blockId, f.recipient, f.at);
    }
  });
  return (batch) => {
    if (batch.length) write(batch);
  };
}
