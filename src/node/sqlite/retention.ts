import type Database from "better-sqlite3";
import { LOG_INDEX_EPOCH } from "./migrations.js";
import { immediate } from "./write-lock.js";

/** Rows per delete: each slice is its own short transaction, so appends get in between. */
const SLICE = 5000;
/**
 * The log tables pruned by age: append-only, `seq` in time order, `at` in ms; with what
 * else is done with a slice of their rows, in order, before they go (it reads the rows).
 * The log's per-recipient index (log-index.ts) loses the entries of the rows pruned; the
 * campaign uniques those rows were folded into get their entry by recipient, by which
 * erasure finds them once the rows are gone (log-index.ts: UNIQUES_OF_RECIPIENT_SQL).
 */
const TABLES: readonly { name: string; also: readonly string[] }[] = [
  {
    name: "events",
    also: [
      `INSERT OR IGNORE INTO campaign_uniques_by_recipient (recipient, campaign, kind)
         SELECT DISTINCT e.recipient, e.campaign, e.kind FROM events e
          WHERE e.seq >= ? AND e.seq < ? AND e.recipient IS NOT NULL
            AND EXISTS (SELECT 1 FROM campaign_uniques u
                         WHERE u.campaign = e.campaign AND u.kind = e.kind AND u.recipient = e.recipient)
          ORDER BY 1, 2, 3`,
      `DELETE FROM events_by_recipient WHERE (epoch, recipient, seq) IN
         (SELECT seq / ${LOG_INDEX_EPOCH}, recipient, seq FROM events
           WHERE seq >= ? AND seq < ? AND recipient IS NOT NULL)`,
    ],
  },
  { name: "decisions", also: [] },
];

/**
 * Deletes log rows older than `days` (the open/click log and the render-decision log).
 * Rows are appended in time order, so the cut is a `seq` found by walking from the oldest
 * row to the first young one (no index on `at`, and no full scan when there is nothing to
 * do), once per run; the rows below it then go in slices of 5,000. Aggregates (campaign
 * totals and uniques, per-variant totals, email activity) are other tables and stay.
 * `plan()` starts a run; each `slice()` deletes one slice and says whether more is left.
 */
export function createPruner(db: Database.Database, days: number, now = () => Date.now()) {
  const steps = TABLES.map(({ name: t, also }) => {
    const related = also.map((sql) => db.prepare(sql));
    const rows = db.prepare(`DELETE FROM ${t} WHERE seq >= ? AND seq < ?`);
    return {
      firstYoung: db.prepare(`SELECT seq FROM ${t} WHERE at >= ? ORDER BY seq LIMIT 1`).pluck(),
      first: db.prepare(`SELECT MIN(seq) FROM ${t}`).pluck(),
      last: db.prepare(`SELECT MAX(seq) FROM ${t}`).pluck(),
      del: (from: number, to: number) => {
        for (const stmt of related) stmt.run(from, to);
        rows.run(from, to);
      },
    };
  });
  const del = immediate(
    db,
    (w: { step: (typeof steps)[number]; from: number }, to: number) => w.step.del(w.from, to),
    // Nobody waits on retention: waiting writers go first.
    { background: true },
  );
  let work: { step: (typeof steps)[number]; from: number; end: number }[] = [];
  return {
    plan(): void {
      const cutoff = now() - days * 86_400_000;
      work = [];
      for (const step of steps) {
        const from = step.first.get() as number | null;
        if (from === null) continue;
        const young = step.firstYoung.get(cutoff) as number | undefined;
        const end = young ?? (step.last.get() as number) + 1;
        if (from < end) work.push({ step, from, end });
      }
    },
    /** Deletes the next slice of the planned run; false once the run is done. */
    slice(): boolean {
      const w = work[0];
      if (!w) return false;
      const to = Math.min(w.end, w.from + SLICE);
      del(w, to);
      w.from = to;
      if (w.from >= w.end) work.shift();
      return work.length > 0;
    },
  };
}
