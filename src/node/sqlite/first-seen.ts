import type Database from "better-sqlite3";
import { recipientKey } from "../../core/profiles/identity.js";

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
  const erased = db.prepare("SELECT 1 FROM erased_identities WHERE hash = ?").pluck();
  const write = db.transaction((batch: readonly FirstSeen[]) => {
    for (const f of batch) {
      if (hashOf && erased.get(hashOf(recipientKey(f.recipient))) !== undefined) continue;
      insert.run(f.blockId, f.recipient, f.at);
    }
  });
  return (batch) => {
    if (batch.length) write.immediate(batch);
  };
}
