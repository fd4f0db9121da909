import type Database from "better-sqlite3";
import type { DecisionEntry, DecisionLog, LastDecision, VariantCounts } from "../../core/ports/decisions.js";
import { BLOCK_DELETED_SQL, createBlockPurger } from "./block-purge.js";
import { immediate } from "./write-lock.js";

/**
 * Writes a batch of decisions: one row per render at open, per-variant totals and unique
 * recipients, in one transaction (IMMEDIATE: other connections write this file too, and
 * the lock is taken up front rather than upgraded from a read).
 */
export function createDecisionWriter(db: Database.Database): (batch: readonly DecisionEntry[]) => void {
  const insert = db.prepare(
    "INSERT INTO decisions (at, block_id, recipient, variant, slots) VALUES (?, ?, ?, ?, ?)",
  );
  const bump = db.prepare(
    `INSERT INTO decision_counts (block_id, variant, opens, clicks) VALUES (?, ?, ?, ?)
       ON CONFLICT (block_id, variant) DO UPDATE SET opens = opens + excluded.opens, clicks = clicks + excluded.clicks`,
  );
  const addUnique = db.prepare(
    "INSERT INTO decision_uniques (block_id, variant, recipient) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  );
  const write = immediate(db, (batch: readonly DecisionEntry[]) => {
    // Counter bumps aggregated in memory: one UPSERT per (block, variant) per batch.
    const bumps = new Map<string, [string, string, number, number]>();
    for (const e of batch) {
      const k = `${e.blockId}\u0000${e.variant}`;
      let b = bumps.get(k);
      if (!b) {
        b = [e.blockId, e.variant, 0, 0];
        bumps.set(k, b);
      }
      if (e.kind === "click") {
        b[3]++;
        continue;
      }
      b[2]++;
      const slots = Object.keys(e.slots).length ? JSON.stringify(e.slots) : null;
      insert.run(e.at, e.blockId, e.recipient, e.variant, slots);
      if (e.recipient) addUnique.run(e.blockId, e.variant, e.recipient);
    }
    for (const b of bumps.values()) bump.run(...b);
  });
  return (batch) => {
    if (batch.length) write(batch);
  };
}

/**
 * Erases a person's render decisions (`rows`) and their place in variant uniques
 * (`uniques`) without an index by recipient (migration 12: one cost a random page per
 * render at open, and erasures are rare). Every (block, variant) with decisions has its
 * totals row, so `decision_counts` names where to look: SQLite seeks each block's
 * (block_id, recipient) index entry and each variant's unique by primary key. Measured with
 * 600,000 decisions of 200,000 people: 10 ms per erased recipient with 1,000 blocks of three
 * variants, 54 ms with 20,000 (a loop over the pairs in JS took 19 and 205 ms).
 */
export function createDecisionEraser(db: Database.Database): (recipient: string) => number {
  const rows = db.prepare(
    "DELETE FROM decisions WHERE block_id IN (SELECT block_id FROM decision_counts) AND recipient = ?",
  );
  const uniques = db.prepare(
    `DELETE FROM decision_uniques WHERE (block_id, variant) IN (SELECT block_id, variant FROM decision_counts)
        AND recipient = ?`,
  );
  const erase = immediate(
    db,
    (recipient: string) => rows.run(recipient).changes + uniques.run(recipient).changes,
  );
  return (recipient) => erase(recipient);
}

/**
 * The decision log in the same SQLite file as the rest (migration 6). Batches come from the
 * core's group commit (src/core/decisions/recorder.ts), so one transaction and one fsync
 * cover everything rendered within the window. With `writeOffThread` (the server: the
 * event-writer thread), batches are committed there: written here, each would take the
 * write lock on the main thread, waiting out the other writers' commits and an fsync while
 * requests queue (an A/B-tested timer lost 5-9% of its requests/s and its p99 rose 8 → 12 ms).
 */
export function createSqliteDecisionLog(
  db: Database.Database,
  opts: {
    writeOffThread?: (batch: readonly DecisionEntry[]) => Promise<void>;
    /** Marks a deleted block and deletes what it left on the event-writer thread (else here, at once). */
    purgeOffThread?: (blockId: string) => Promise<void>;
    /**
     * Erases a person's decisions on the event-writer thread: with 20,000 blocks of three
     * variants that is 60–90 ms of SQLite, a stall of every request when done here (on the
     * writer thread the main one's longest stall was 1.2–1.4 ms; in-process, 3 runs each).
     */
    eraseOffThread?: (recipient: string) => Promise<number>;
  } = {},
): DecisionLog {
  const writeHere = opts.writeOffThread ? null : createDecisionWriter(db);
  // A deleted block's rows answer nothing while they are purged (block-purge.ts).
  const last = db.prepare(
    `SELECT variant, slots, at FROM decisions WHERE block_id = @id AND recipient = @r
       AND NOT ${BLOCK_DELETED_SQL} ORDER BY seq DESC LIMIT 1`,
  );
  // Unique recipients are counted by triggers on decision_uniques (migration 10).
  const countsOf = db.prepare(
    `SELECT variant, opens, clicks, uniques FROM decision_counts WHERE block_id = @id
       AND NOT ${BLOCK_DELETED_SQL} ORDER BY variant`,
  );
  const eraseHere = opts.eraseOffThread ? null : createDecisionEraser(db);
  // A deleted block's decisions, uniques and totals go a slice at a time (block-purge.ts):
  // one transaction took 2.4–3.5 s of the main thread for a block shown to a million people.
  const purgeHere = opts.purgeOffThread ? null : createBlockPurger(db);

  return {
    async record(batch) {
      if (!batch.length) return;
      if (writeHere) writeHere(batch);
      else await opts.writeOffThread!(batch);
    },
    async lastFor(blockId, recipient): Promise<LastDecision | null> {
      const r = last.get({ id: blockId, r: recipient }) as
        | { variant: string; slots: string | null; at: number }
        | undefined;
      return r ? { variant: r.variant, slots: r.slots ? JSON.parse(r.slots) : {}, at: r.at } : null;
    },
    async countsByVariant(blockId): Promise<VariantCounts[]> {
      type Row = { variant: string; opens: number; clicks: number; uniques: number };
      return (countsOf.all({ id: blockId }) as Row[]).map((r) => ({
        variant: r.variant,
        opens: r.opens,
        uniqueRecipients: r.uniques,
        clicks: r.clicks,
      }));
    },
    async eraseRecipient(recipient) {
      return eraseHere ? eraseHere(recipient) : opts.eraseOffThread!(recipient);
    },
    async deleteBlock(blockId) {
      if (!purgeHere) {
        await opts.purgeOffThread!(blockId);
        return 0;
      }
      purgeHere.mark(blockId);
      return purgeHere.all();
    },
  };
}
