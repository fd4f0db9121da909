import type Database from "better-sqlite3";
import type { ActivityRow } from "../../core/ports/profiles.js";
import { HALF_LIFE } from "../../core/profiles/model.js";
import type { ActivityStage } from "./activity-stage.js";
import {
  COUNT_COLUMNS,
  COUNTS,
  ENGAGEMENT,
  ENGAGEMENT_AT,
  FIRST_AT,
  LAST_AT,
  LAST_CLICK_AT,
  LAST_OPEN_AT,
} from "./activity-stage.js";
import { erasedList } from "./erased-list.js";
import { HOURS, MACHINE_CLASSES } from "./migrations.js";

/** The erased-person HMAC of a key (undefined: the key may not be added). */
export type HashOf = (key: string) => string | undefined;

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
  /**
   * Adds a stage's people (`slots`), new ones inserted, many rows per statement by shape:
   * only for when nobody is on the erased list (the caller asks, in its transaction).
   */
  addStaged(stage: ActivityStage, slots: readonly number[]): void;
  delete(keys: readonly string[]): number;
}

const H = HALF_LIFE.engagement;

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
  // Not 0: a correction's delta takes engagement back (negative).
  if (d.engagement.v !== 0) {
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

/** Each counting column's value in a delta, derived from COUNTS (its order: the shape's low bits). */
const COUNT_OF: readonly ((d: ActivityRow) => number)[] = COUNTS.map((col) => {
  const hour = HOURS.indexOf(col);
  if (hour !== -1) return (d: ActivityRow) => d.hours[hour] ?? 0;
  const cls = MACHINE_CLASSES.find((c) => `m_${c}` === col);
  if (cls) return (d: ActivityRow) => d.machineByClass[cls] ?? 0;
  const field = {
    opens: "opens",
    clicks: "clicks",
    machine_opens: "machineOpens",
    machine_clicks: "machineClicks",
  }[col] as "opens" | "clicks" | "machineOpens" | "machineClicks" | undefined;
  if (!field) throw new Error(`no ActivityRow field for email_activity.${col}`);
  return (d: ActivityRow) => d[field];
});

function countsOf(d: ActivityRow): number[] {
  return COUNT_OF.map((f) => f(d));
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
): { shape: number; sql: string; values: string[]; params: (number | string)[] } {
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
  if (!withSql) return { shape, sql: "", values, params };
  return {
    shape,
    sql: `INSERT INTO email_activity (${INSERT_COLUMNS}) VALUES (${values.join(", ")})`,
    values,
    params,
  };
}

/**
 * insertFor's shape and params of a staged slot, read in place from the stage's numbers
 * (whose counts are in COUNTS order): the fold's path, with no ActivityRow per person.
 */
function stagedShape(n: Float64Array, b: number): number {
  let shape = 0;
  for (let i = 0; i < COUNT_COLUMNS; i++) if (n[b + i] !== 0) shape += BIT[i]!;
  if (!Number.isNaN(n[b + LAST_OPEN_AT]!)) shape += BIT[COUNT_COLUMNS]!;
  if (!Number.isNaN(n[b + LAST_CLICK_AT]!)) shape += BIT[COUNT_COLUMNS + 1]!;
  return shape;
}

function pushStagedParams(key: string, n: Float64Array, b: number, into: (number | string)[]): void {
  into.push(key, n[b + ENGAGEMENT]!, n[b + ENGAGEMENT_AT]!, n[b + FIRST_AT]!, n[b + LAST_AT]!);
  for (let i = 0; i < COUNT_COLUMNS; i++) if (n[b + i] !== 0) into.push(n[b + i]!);
  if (!Number.isNaN(n[b + LAST_OPEN_AT]!)) into.push(n[b + LAST_OPEN_AT]!);
  if (!Number.isNaN(n[b + LAST_CLICK_AT]!)) into.push(n[b + LAST_CLICK_AT]!);
}

/** Powers of two for shape bits (COUNTS, then the two times). */
const BIT = Array.from({ length: COUNT_COLUMNS + 2 }, (_, i) => 2 ** i);

/** The columns insertFor's params and values are in. */
const INSERT_COLUMNS = [
  "key",
  "engagement",
  "engagement_at",
  "first_at",
  "last_at",
  ...COUNTS,
  "last_open_at",
  "last_click_at",
].join(", ");

/**
 * Deltas of one shape (insertFor's, and whether the engagement moved) as `rows` rows of one
 * INSERT … ON CONFLICT DO UPDATE, with insertFor's params per row: a new person's row is
 * inserted, a known one's added to as updateFor would (the same sums, from `excluded`).
 *
 * Why: an UPDATE per person, then an INSERT if nobody was there, was one statement run (or
 * two, and two key lookups) per person. Writer harness (the fold as shipped, 90k hits,
 * callgrind, instructions per hit): 101.4k → 95.5k at 50,000 recipients, 112.1k → 95.7k at a
 * million; CPU time alternating, 300k hits at 50,000: 9.05–9.77 → 8.64–9.00 s. A one-row
 * UPSERT per person had been slower for known people (6.7 → 7.1 µs): the gain is the many
 * rows per run.
 */
function upsertSql(sample: ActivityRow, rows: number): string {
  const sets: string[] = [];
  const counts = countsOf(sample);
  for (let i = 0; i < counts.length; i++)
    if (counts[i] !== 0) sets.push(`${COUNTS[i]} = ${COUNTS[i]} + excluded.${COUNTS[i]}`);
  for (const [col, at] of [
    ["last_open_at", sample.lastOpenAt],
    ["last_click_at", sample.lastClickAt],
  ] as const)
    if (at !== null) sets.push(`${col} = max(coalesce(${col}, excluded.${col}), excluded.${col})`);
  if (sample.engagement.v !== 0)
    // mergeDecayed, as in updateFor: both sides decayed to the later time, then added.
    sets.push(
      `engagement = engagement * pow(2, (engagement_at - max(engagement_at, excluded.engagement_at)) / ${H}.0) + excluded.engagement * pow(2, (excluded.engagement_at - max(engagement_at, excluded.engagement_at)) / ${H}.0)`,
      "engagement_at = max(engagement_at, excluded.engagement_at)",
    );
  sets.push("first_at = min(first_at, excluded.first_at)", "last_at = max(last_at, excluded.last_at)");
  const row = `(${insertFor(sample, true).values.join(", ")})`;
  return `INSERT INTO email_activity (${INSERT_COLUMNS}) VALUES ${Array(rows).fill(row).join(", ")}
    ON CONFLICT (key) DO UPDATE SET ${sets.join(", ")}`;
}

/**
 * Rows per UPSERT run, largest first: a shape's deltas go 16 at a time, the rest 4 and 1 at
 * a time, so each shape has at most three statements (a 16-row one is ~1,000 opcodes).
 */
const UPSERT_SIZES = [16, 4, 1] as const;

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
  // ActivityRow.reclassifiedClicks: a last click among the corrected ones is not a person's.
  const clearClick = db.prepare(
    "UPDATE email_activity SET last_click_at = ? WHERE key = ? AND last_click_at BETWEEN ? AND ?",
  );
  const unclick = (key: string, range: { from: number; to: number }, own: number | null) =>
    clearClick.run(own !== null && own < range.from ? own : null, key, range.from, range.to);
  // Prepared UPSERTs by shape and row count (upsertSql).
  const upserts = new Map<number, Database.Statement>();
  const upsertRows = (
    shape: number,
    sample: () => ActivityRow,
    rows: number,
    params: (number | string)[],
  ) => {
    const id = shape * 32 + rows;
    let stmt = upserts.get(id);
    if (!stmt) {
      stmt = db.prepare(upsertSql(sample(), rows));
      if (upserts.size < 1000) upserts.set(id, stmt);
    }
    stmt.run(params);
  };
  /** Every staged person added, new ones inserted, by shape (see ActivityTable.addStaged). */
  const addStaged = (stage: ActivityStage, slots: readonly number[]) => {
    const groups = new Map<number, { sample: number; params: (number | string)[]; n: number }>();
    const full = UPSERT_SIZES[0];
    for (const slot of slots) {
      const { n, base } = stage.numbers(slot);
      const shape = stagedShape(n, base) * 2 + (n[base + ENGAGEMENT]! !== 0 ? 1 : 0);
      let g = groups.get(shape);
      if (!g) {
        g = { sample: slot, params: [], n: 0 };
        groups.set(shape, g);
      }
      pushStagedParams(stage.key(slot), n, base, g.params);
      if (++g.n === full) {
        upsertRows(shape, () => stage.row(g!.sample), full, g.params);
        g.params = [];
        g.n = 0;
      }
    }
    for (const [shape, g] of groups) {
      // The rest (under 16 rows) in runs of 4, then 1.
      const per = g.params.length / g.n;
      let at = 0;
      for (const size of UPSERT_SIZES.slice(1))
        for (; g.n - at / per >= size; at += size * per)
          upsertRows(shape, () => stage.row(g.sample), size, g.params.slice(at, at + size * per));
    }
    for (const slot of slots) {
      const range = stage.reclassified(slot);
      if (!range) continue;
      const { n, base } = stage.numbers(slot);
      const last = n[base + LAST_CLICK_AT]!;
      unclick(stage.key(slot), range, Number.isNaN(last) ? null : last);
    }
  };
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
      for (const d of deltas) {
        const u = updateFor(d, false);
        let stmt = updates.get(u.shape);
        if (!stmt) {
          stmt = db.prepare(updateFor(d, true).sql);
          if (updates.size < 2000) updates.set(u.shape, stmt);
        }
        if (stmt.run(...u.params).changes > 0) {
          if (d.reclassifiedClicks) unclick(d.key, d.reclassifiedClicks, d.lastClickAt);
          continue;
        }
        // A new key (or one whose row erasure removed): only unless its person was erased.
        const h = hashOf(d.key);
        if (h === undefined || erased.has(h)) dropped.add(d.key);
        else insert(d);
      }
      return dropped;
    },
    addStaged,
    delete(keys) {
      let n = 0;
      for (const k of keys) n += del.run(k).changes;
      return n;
    },
  };
}
