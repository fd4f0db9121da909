import type Database from "better-sqlite3";
import type { ActivityRow } from "../../core/ports/profiles.js";
import { HALF_LIFE } from "../../core/profiles/model.js";
import { erasedList } from "./erased-list.js";
import { HOURS, MACHINE_CLASSES } from "./migrations.js";

/**
 * The erased-person HMAC of a key (undefined: the key may not be added). `lazy`: the hash is
 * only needed to look the key up among erased people, so while nobody is erased new keys
 * are added without it (the event writer's HMAC per new recipient, ~1.5 µs, is then saved).
 */
export type HashOf = ((key: string) => string | undefined) & { lazy?: boolean };

/**
 * The `email_activity` table (migration 7), synchronous, for use inside a transaction the
 * caller holds: the profile store's own, or the event writer thread's fold of the log
 * (activity-fold.ts, which moves its watermark in the same transaction).
 */
export interface ActivityTable {
  read(keys: readonly string[]): ActivityRow[];
  /**
   * Adds deltas; a key with no row is added only if `hashOf(key)` is given and not on the
   * erased list. Returns the keys whose delta was dropped.
   */
  add(deltas: Iterable<ActivityRow>, hashOf: HashOf): Set<string>;
  delete(keys: readonly string[]): number;
}

const H = HALF_LIFE.engagement;
const M_COLS = MACHINE_CLASSES.map((c) => `m_${c}`);

/**
 * An UPDATE that touches only what a delta changes, with its parameters: a hit is one
 * UPDATE by primary key doing the sums in SQLite. One statement for every column was
 * ~3x slower (40 bindings per hit, nearly all zeros); a delta is nearly always one open
 * or click, so the few shapes that occur are prepared once each (see createActivityTable).
 * `shape` has a bit per SET clause present, so a prepared statement is found without
 * writing its SQL (building and hashing that text per hit was ~1.5 µs of the writer's
 * ~12 µs per event); the SQL is written only when `withSql` (a shape seen first).
 */
function updateFor(
  d: ActivityRow,
  withSql: boolean,
): { shape: number; sql: string; params: (number | string)[] } {
  const sets: string[] = [];
  const params: (number | string)[] = [];
  let shape = 0;
  let bit = 1;
  // Counts, in COUNTS order: a bit each, a "col = col + ?" for those that moved.
  const counts = countsOf(d);
  for (let i = 0; i < counts.length; i++, bit *= 2) {
    const n = counts[i]!;
    if (n === 0) continue;
    shape += bit;
    params.push(n);
    if (withSql) sets.push(`${COUNTS[i]} = ${COUNTS[i]} + ?`);
  }
  for (const [col, at] of [
    ["last_open_at", d.lastOpenAt],
    ["last_click_at", d.lastClickAt],
  ] as const) {
    if (at !== null) {
      shape += bit;
      params.push(at, at);
      if (withSql) sets.push(`${col} = max(coalesce(${col}, ?), ?)`);
    }
    bit *= 2;
  }
  if (d.engagement.v > 0) {
    // mergeDecayed: both sides decayed to the later time, then added.
    const t = d.engagement.t;
    shape += bit;
    params.push(t, d.engagement.v, t, t, t);
    if (withSql)
      sets.push(
        `engagement = engagement * pow(2, (engagement_at - max(engagement_at, ?)) / ${H}.0) + ? * pow(2, (? - max(engagement_at, ?)) / ${H}.0)`,
        "engagement_at = max(engagement_at, ?)",
      );
  }
  params.push(d.firstAt, d.lastAt, d.key);
  if (!withSql) return { shape, sql: "", params };
  sets.push("first_at = min(first_at, ?)", "last_at = max(last_at, ?)");
  return { shape, sql: `UPDATE email_activity SET ${sets.join(", ")} WHERE key = ?`, params };
}

/** The counting columns an UPDATE may add to, in a fixed order (the shape's low bits). */
const COUNTS = ["opens", "clicks", "machine_opens", "machine_clicks", ...M_COLS, ...HOURS];

function countsOf(d: ActivityRow): number[] {
  const out = [d.opens, d.clicks, d.machineOpens, d.machineClicks];
  for (const c of MACHINE_CLASSES) out.push(d.machineByClass[c] ?? 0);
  for (let h = 0; h < HOURS.length; h++) out.push(d.hours[h] ?? 0);
  return out;
}

/**
 * A new row's INSERT binding only what the delta sets: the counts still 0 and the times
 * still NULL are literals in its SQL, so a shape (a bit per count and time set) picks a
 * prepared statement, as for updates. Binding all 41 values (nearly all zeros) cost 6.0 µs
 * per new row against 3.7 here (200,000 rows into a fresh table); in a million-recipient
 * send nearly every person's first hit is such an insert.
 */
function insertFor(
  d: ActivityRow,
  withSql: boolean,
): { shape: number; sql: string; params: (number | string)[] } {
  const params: (number | string)[] = [d.key, d.engagement.v, d.engagement.t, d.firstAt, d.lastAt];
  const values = withSql ? ["?", "?", "?", "?", "?"] : [];
  let shape = 0;
  let bit = 1;
  const counts = countsOf(d);
  for (let i = 0; i < counts.length; i++, bit *= 2) {
    const n = counts[i]!;
    if (n !== 0) {
      shape += bit;
      params.push(n);
    }
    if (withSql) values.push(n !== 0 ? "?" : "0");
  }
  for (const at of [d.lastOpenAt, d.lastClickAt]) {
    if (at !== null) {
      shape += bit;
      params.push(at);
    }
    if (withSql) values.push(at !== null ? "?" : "NULL");
    bit *= 2;
  }
  if (!withSql) return { shape, sql: "", params };
  const cols = [
    "key",
    "engagement",
    "engagement_at",
    "first_at",
    "last_at",
    ...COUNTS,
    "last_open_at",
    "last_click_at",
  ];
  return {
    shape,
    sql: `INSERT INTO email_activity (${cols.join(", ")}) VALUES (${values.join(", ")})`,
    params,
  };
}

type Row = Record<string, number | string | null>;

function toActivity(r: Row): ActivityRow {
  const machineByClass: Record<string, number> = {};
  for (const c of MACHINE_CLASSES) if ((r[`m_${c}`] as number) > 0) machineByClass[c] = r[`m_${c}`] as number;
  return {
    key: r.key as string,
    opens: r.opens as number,
    clicks: r.clicks as number,
    machineOpens: r.machine_opens as number,
    machineClicks: r.machine_clicks as number,
    machineByClass,
    lastOpenAt: r.last_open_at as number | null,
    lastClickAt: r.last_click_at as number | null,
    hours: HOURS.map((h) => r[h] as number),
    engagement: { v: r.engagement as number, t: r.engagement_at as number },
    firstAt: r.first_at as number,
    lastAt: r.last_at as number,
  };
}

export function createActivityTable(db: Database.Database): ActivityTable {
  const get = db.prepare("SELECT * FROM email_activity WHERE key = ?");
  // Prepared UPDATEs and INSERTs by shape; a handful occur (one per kind × class × hour at most).
  const updates = new Map<number, Database.Statement>();
  const inserts = new Map<number, Database.Statement>();
  const insert = (d: ActivityRow) => {
    const ins = insertFor(d, false);
    let stmt = inserts.get(ins.shape);
    if (!stmt) {
      stmt = db.prepare(insertFor(d, true).sql);
      if (inserts.size < 2000) inserts.set(ins.shape, stmt);
    }
    stmt.run(...ins.params);
  };
  const erased = erasedList(db);
  const del = db.prepare("DELETE FROM email_activity WHERE key = ?");
  return {
    read(keys) {
      const out: ActivityRow[] = [];
      for (const k of keys) {
        const r = get.get(k) as Row | undefined;
        if (r) out.push(toActivity(r));
      }
      return out;
    },
    add(deltas, hashOf) {
      const dropped = new Set<string>();
      // Asked at the first new key, in the caller's transaction: a consistent answer.
      let nobodyErased: boolean | undefined;
      for (const d of deltas) {
        const u = updateFor(d, false);
        let stmt = updates.get(u.shape);
        if (!stmt) {
          stmt = db.prepare(updateFor(d, true).sql);
          if (updates.size < 2000) updates.set(u.shape, stmt);
        }
        if (stmt.run(...u.params).changes > 0) continue;
        // A new key (or one whose row erasure removed): only unless its person was erased.
        if (hashOf.lazy && nobodyErased === undefined) nobodyErased = !erased.any();
        if (hashOf.lazy && nobodyErased) {
          insert(d);
          continue;
        }
        const h = hashOf(d.key);
        if (h === undefined || erased.has(h)) dropped.add(d.key);
        else insert(d);
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
