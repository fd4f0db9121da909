import type Database from "better-sqlite3";
import type { ActivityRow } from "../../core/ports/profiles.js";
import { addActivity } from "../../core/profiles/activity.js";

/**
 * The `email_activity` table (migration 7), synchronous, for use inside a transaction the
 * caller holds: the profile store's own, or the event writer's (so an open's log row and
 * its person's activity commit together, with one fsync).
 */
export interface ActivityTable {
  read(keys: readonly string[]): ActivityRow[];
  /**
   * Adds deltas; a key with no row is added only if `hashOf(key)` is given and not on the
   * erased list. Returns the keys whose delta was dropped.
   */
  add(deltas: Iterable<ActivityRow>, hashOf: (key: string) => string | undefined, at: number): Set<string>;
  delete(keys: readonly string[]): number;
}

export function createActivityTable(db: Database.Database): ActivityTable {
  const get = db.prepare("SELECT doc FROM email_activity WHERE key = ?").pluck();
  const put = db.prepare(
    "INSERT INTO email_activity (key, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
  );
  const erased = db.prepare("SELECT 1 FROM erased_identities WHERE hash = ?").pluck();
  const del = db.prepare("DELETE FROM email_activity WHERE key = ?");
  return {
    read(keys) {
      const out: ActivityRow[] = [];
      for (const k of keys) {
        const doc = get.get(k) as string | undefined;
        if (doc) out.push(JSON.parse(doc) as ActivityRow);
      }
      return out;
    },
    add(deltas, hashOf, at) {
      const dropped = new Set<string>();
      for (const d of deltas) {
        const doc = get.get(d.key) as string | undefined;
        if (doc) {
          const row = JSON.parse(doc) as ActivityRow;
          addActivity(row, d);
          put.run(d.key, JSON.stringify(row), at);
          continue;
        }
        // A new key: unless its person was erased (their HMAC kept for exactly this).
        const h = hashOf(d.key);
        if (h === undefined || erased.get(h) !== undefined) dropped.add(d.key);
        else put.run(d.key, JSON.stringify(d), at);
      }
      return dropped;
    },
    delete(keys) {
      let n = 0;
      for (const k of keys) n += del.run(k).changes;
      return n;
    },
  };
}
