import { describe, expect, it } from "vitest";
import type { DecisionEntry } from "../../core/ports/decisions.js";
import { blockRecord } from "../../core/testing/block-record.js";
import { tempDbFiles } from "../testing/temp-files.js";
import { createBlockPurger } from "./block-purge.js";
import { createDecisionWriter, createSqliteDecisionLog } from "./decision-store.js";
import { createFirstSeenWriter } from "./first-seen.js";
import { createSqliteStore, openDatabase } from "./store.js";

// What a deleted block leaves (decisions, variant uniques and totals, evergreen first opens)
// deleted a slice at a time from its mark (block-purge.ts), on a real SQLite file.
const file = tempDbFiles("opentime-block-purge-");

const shown = (blockId: string, recipient: string, variant: string): DecisionEntry => ({
  at: 1,
  kind: "open",
  blockId,
  recipient,
  variant,
  slots: {},
});

/** A block shown to `people` recipients over two variants, each with a first open. */
function fill(db: ReturnType<typeof openDatabase>, blockId: string, people: number): void {
  const batch: DecisionEntry[] = [];
  for (let i = 0; i < people; i++) batch.push(shown(blockId, `p${i}@x.com`, i % 2 ? "a" : "b"));
  createDecisionWriter(db)(batch);
  createFirstSeenWriter(db)(batch.map((d) => ({ blockId, recipient: d.recipient!, at: 1 })));
}

function rowsOf(db: ReturnType<typeof openDatabase>, blockId: string): number[] {
  return ["decisions", "decision_uniques", "decision_counts", "block_first_seen"].map(
    (t) => db.prepare(`SELECT count(*) FROM ${t} WHERE block_id = ?`).pluck().get(blockId) as number,
  );
}
const mark = (db: ReturnType<typeof openDatabase>, blockId: string) =>
  db.prepare("INSERT INTO blocks_deleted (block_id, at) VALUES (?, 1)").run(blockId);
const marks = (db: ReturnType<typeof openDatabase>) =>
  db.prepare("SELECT block_id FROM blocks_deleted").pluck().all();

describe("deleted blocks purged a slice at a time", () => {
  it("deletes at most a slice per call, the variants' totals and the mark with the last; other blocks stay", () => {
    const db = openDatabase(file());
    fill(db, "gone", 12);
    fill(db, "kept", 3);
    mark(db, "gone");
    const purger = createBlockPurger(db, 5);
    const total = () => rowsOf(db, "gone").reduce((a, n) => a + n, 0);
    expect(rowsOf(db, "gone")).toEqual([12, 12, 2, 12]);
    const left: number[] = [];
    while (purger.due) {
      const before = total();
      purger.slice();
      expect(before - total()).toBeLessThanOrEqual(5 + 2); // + the two totals rows, at the end
      left.push(total());
    }
    expect(left).toEqual([33, 28, 23, 18, 13, 8, 3, 0]);
    expect(marks(db)).toEqual([]);
    expect(rowsOf(db, "kept")).toEqual([3, 3, 2, 3]);
    expect(purger.slice()).toBe(false);
  });

  it("goes on after a stop: the mark is still there at the next start", () => {
    const path = file();
    const db = openDatabase(path);
    fill(db, "gone", 8);
    mark(db, "gone");
    createBlockPurger(db, 5).slice(); // then the process stops
    db.close();
    const again = openDatabase(path);
    const purger = createBlockPurger(again, 5);
    expect(purger.due).toBe(true);
    expect(purger.all()).toBe(8 + 8 + 2 + 8 - 5);
    expect(rowsOf(again, "gone")).toEqual([0, 0, 0, 0]);
    expect(marks(again)).toEqual([]);
  });

  it("reads of a deleted block answer nothing while its rows wait, and erasure still finds a person in them", async () => {
    const db = openDatabase(file());
    fill(db, "gone", 4);
    fill(db, "kept", 4);
    // As with the event-writer thread: marked, the rows left for its slices.
    const log = createSqliteDecisionLog(db, { purgeOffThread: async (id) => createBlockPurger(db).mark(id) });
    expect(await log.deleteBlock("gone")).toBe(0);
    expect(await log.lastFor("gone", "p1@x.com")).toBeNull();
    expect(await log.countsByVariant("gone")).toEqual([]);
    expect(await log.lastFor("kept", "p1@x.com")).not.toBeNull();
    // p1 is erased before the purge reaches the block: their rows there go too.
    expect(await log.eraseRecipient("p1@x.com")).toBe(4);
    const p1 = db.prepare("SELECT count(*) FROM decisions WHERE recipient = 'p1@x.com'").pluck().get();
    expect(p1).toBe(0);
    expect(rowsOf(db, "gone")).toEqual([3, 3, 2, 4]);
  });

  it("purges an id at once when a block is created with it again, so its new rows are kept", async () => {
    const store = createSqliteStore(file());
    const b = blockRecord("b".repeat(20));
    await store.blocks.create(b);
    fill(store.db, b.id, 3);
    // As a delete whose purge has not run yet: the block row gone, the mark and rows left.
    store.db.prepare("DELETE FROM blocks WHERE id = ?").run(b.id);
    mark(store.db, b.id);
    await store.blocks.create(b);
    expect(rowsOf(store.db, b.id)).toEqual([0, 0, 0, 0]);
    expect(marks(store.db)).toEqual([]);
    expect(await store.blocks.firstSeen(b.id, "p0@x.com", 5)).toBe(5);
    await store.close();
  });
});
