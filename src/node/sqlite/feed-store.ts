import type Database from "better-sqlite3";
import type { FeedCounts, FeedFormat, FeedRecord, FeedStatus, FeedStore } from "../../core/ports/feeds.js";
import { immediate } from "./write-lock.js";

type FeedRow = {
  id: string;
  url: string;
  format: string | null;
  every_minutes: number;
  created_at: number;
  next_run_at: number;
  last_run_at: number | null;
  last_status: string | null;
  last_message: string | null;
  last_counts: string | null;
};

const toFeed = (r: FeedRow): FeedRecord => ({
  id: r.id,
  url: r.url,
  format: r.format as FeedFormat | null,
  everyMinutes: r.every_minutes,
  createdAt: r.created_at,
  nextRunAt: r.next_run_at,
  lastRunAt: r.last_run_at,
  lastStatus: r.last_status as FeedStatus | null,
  lastMessage: r.last_message,
  lastCounts: r.last_counts ? (JSON.parse(r.last_counts) as FeedCounts) : null,
});

/** Feeds in the same SQLite file as the catalog (migration 5). */
export function createSqliteFeedStore(db: Database.Database): FeedStore {
  const upsert = db.prepare(
    `INSERT INTO feeds (id, url, format, every_minutes, created_at, next_run_at, last_run_at,
                        last_status, last_message, last_counts)
       VALUES (@id, @url, @format, @everyMinutes, @createdAt, @nextRunAt, @lastRunAt,
               @lastStatus, @lastMessage, @lastCounts)
       ON CONFLICT (url) DO UPDATE SET format = excluded.format, every_minutes = excluded.every_minutes,
         next_run_at = excluded.next_run_at, last_run_at = excluded.last_run_at,
         last_status = excluded.last_status, last_message = excluded.last_message,
         last_counts = excluded.last_counts
       RETURNING *`,
  );
  const all = db.prepare("SELECT * FROM feeds ORDER BY created_at, rowid");
  const remove = db.prepare("DELETE FROM feeds WHERE id = ?");
  const due = db.prepare("SELECT * FROM feeds WHERE next_run_at <= ? ORDER BY next_run_at LIMIT ?");
  const push = db.prepare("UPDATE feeds SET next_run_at = ? + every_minutes * 60000 WHERE id = ?");
  const record = db.prepare(
    `UPDATE feeds SET last_run_at = ?, last_status = ?, last_message = ?, last_counts = ? WHERE id = ?`,
  );
  // Every write as a counted waiter for the lock (write-lock.ts): this is the main thread.
  const save = immediate(db, (params: Record<string, unknown>) => upsert.get(params) as FeedRow);
  const del = immediate(db, (id: string) => remove.run(id).changes > 0);
  const recordRun = immediate(db, (...params: unknown[]) => record.run(...params));
  const claim = immediate(db, (now: number, limit: number) => {
    const rows = due.all(now, limit) as FeedRow[];
    for (const r of rows) push.run(now, r.id);
    return rows.map(toFeed);
  });

  return {
    async save(feed) {
      const row = save({
        ...feed,
        lastCounts: feed.lastCounts ? JSON.stringify(feed.lastCounts) : null,
      });
      return toFeed(row);
    },
    async list() {
      return (all.all() as FeedRow[]).map(toFeed);
    },
    async delete(id) {
      return del(id);
    },
    async claimDue(now, limit) {
      // IMMEDIATE: read then write, with the event-writer thread's connection beside this one.
      return claim(now, limit);
    },
    async recordRun(id, run) {
      recordRun(run.at, run.status, run.message, run.counts ? JSON.stringify(run.counts) : null, id);
    },
  };
}
