import type Database from "better-sqlite3";
import { immediate } from "./write-lock.js";

/** Rows per slice: each its own short transaction, so other writes get in between. */
const SLICE = 5000;

/**
 * What a deleted block leaves behind — its render decisions, their per-variant uniques and
 * totals, and its evergreen first opens, a row per recipient each — deleted a slice at a
 * time. Deleting a block marks it in `blocks_deleted` (migration 15) in the transaction that
 * deletes the block; the marks are purged here, on the event-writer thread when there is
 * one. Why: one transaction for a block shown to a million people (2 million rows) took
 * 2.4–3.5 s of the main thread, and the file's write lock as long. Nothing reads what is left
 * meanwhile (the block is gone, so no route reaches it); a crash leaves the mark, and the
 * next start goes on. A variant's totals go last: erasure finds a person's decisions
 * through them (decision-store.ts), so until then it still finds the block's.
 */
export interface BlockPurger {
  /** Whether a deleted block's rows are left. */
  readonly due: boolean;
  /** Deletes up to one slice of rows; returns whether more is left. */
  slice(): boolean;
  /** Everything, now, a block per transaction (no writer thread: tests, in-process use). */
  all(): number;
  /** All of one block's rows, now, and its mark: before its id is used again. */
  block(id: string): number;
  /** Marks a block deleted (idempotent); its rows go at the next slices. */
  mark(id: string): void;
}

/** Whether a block's rows are being purged: its reads answer nothing meanwhile (SQL, @id). */
export const BLOCK_DELETED_SQL = "EXISTS (SELECT 1 FROM blocks_deleted WHERE block_id = @id)";

export function createBlockPurger(db: Database.Database, sliceRows = SLICE): BlockPurger {
  const next = db.prepare("SELECT block_id FROM blocks_deleted LIMIT 1").pluck();
  const marked = db.prepare(`SELECT ${BLOCK_DELETED_SQL}`).pluck();
  // Each step deletes up to @limit rows of @id; the index or primary key starts with block_id.
  const steps = [
    db.prepare(
      "DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions WHERE block_id = @id LIMIT @limit)",
    ),
    db.prepare(
      `DELETE FROM decision_uniques WHERE block_id = @id AND (variant, recipient) IN
         (SELECT variant, recipient FROM decision_uniques WHERE block_id = @id LIMIT @limit)`,
    ),
    db.prepare(
      `DELETE FROM block_first_seen WHERE block_id = @id AND recipient IN
         (SELECT recipient FROM block_first_seen WHERE block_id = @id LIMIT @limit)`,
    ),
  ];
  const totals = db.prepare("DELETE FROM decision_counts WHERE block_id = ?");
  const done = db.prepare("DELETE FROM blocks_deleted WHERE block_id = ?");
  const markDeleted = db.prepare("INSERT OR IGNORE INTO blocks_deleted (block_id, at) VALUES (?, ?)");
  /**
   * Up to `rows` rows of a block (then its variants' totals and its mark, with the last);
   * every row when `rows` is null (one transaction: nobody else is writing meanwhile).
   */
  const sliceOf = (id: string, rows: number | null): { deleted: number; more: boolean } => {
    // Asked again under the write lock: a block created with this id meanwhile took the
    // mark away (block()), and its new rows are not this purge's.
    if (marked.get({ id }) !== 1) return { deleted: 0, more: false };
    let deleted = 0;
    for (const step of steps) {
      deleted += step.run({ id, limit: rows === null ? -1 : rows - deleted }).changes;
      if (rows !== null && deleted >= rows) return { deleted, more: true };
    }
    deleted += totals.run(id).changes;
    done.run(id);
    return { deleted, more: false };
  };
  const slice = immediate(db, sliceOf);
  // The writer thread's slices: nobody waits on them, so waiting writers go first.
  const backgroundSlice = immediate(db, sliceOf, { background: true });
  const purger: BlockPurger = {
    get due() {
      return next.get() !== undefined;
    },
    slice() {
      const id = next.get() as string | undefined;
      if (id !== undefined) backgroundSlice(id, sliceRows);
      return purger.due;
    },
    all() {
      let n = 0;
      for (let id = next.get() as string | undefined; id !== undefined; id = next.get() as string | undefined)
        n += slice(id, null).deleted;
      return n;
    },
    mark(id) {
      markDeleted.run(id, Date.now());
    },
    block(id) {
      // Asked first without the write lock: nearly always unmarked (every block create asks).
      return marked.get({ id }) === 1 ? slice(id, null).deleted : 0;
    },
  };
  return purger;
}
