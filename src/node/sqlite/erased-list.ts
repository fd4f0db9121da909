import type Database from "better-sqlite3";

/**
 * The list of erased people (`erased_identities`: the erased-person HMAC of each identity
 * key, kept so that nothing re-creates them). Every writer that may add a person's row asks
 * it; each prepares its own on the connection it writes with.
 */
export interface ErasedList {
  /** Whether anyone was ever erased: while nobody was, nothing needs hashing to be checked. */
  any(): boolean;
  has(hash: string): boolean;
}

export function erasedList(db: Database.Database): ErasedList {
  const anyRow = db.prepare("SELECT EXISTS (SELECT 1 FROM erased_identities)").pluck();
  const byHash = db.prepare("SELECT 1 FROM erased_identities WHERE hash = ?").pluck();
  return {
    any: () => anyRow.get() === 1,
    has: (hash) => byHash.get(hash) !== undefined,
  };
}
