import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../../core/ports/index.js";
import { trackEvent } from "../../core/testing/track-event.js";
import { whileAWriterWaits } from "../testing/lock-waiter.js";
import { tempDbFiles } from "../testing/temp-files.js";
import { createLogIndexer } from "./log-index.js";
import { LOG_INDEX_EPOCH, MIGRATIONS } from "./migrations.js";
import { createSqliteProfileStore } from "./profile-store.js";
import { createPruner } from "./retention.js";
import { createEventWriter, createSqliteStore, openDatabase } from "./store.js";

// The log read by recipient (a person's history, export, erasure) through the chunked
// index of log-index.ts, on a real SQLite file, with chunks of 3 rows so that every read
// crosses indexed rows and the not-yet-indexed tail.
const file = tempDbFiles("opentime-log-index-");

let clock = 1_700_000_000_000;
const hit = (recipient: string | null, kind: TrackEvent["kind"] = "open"): TrackEvent =>
  trackEvent({ at: clock++, kind, recipient });

function openLog(path = file(), now = () => clock) {
  const db = openDatabase(path);
  const indexer = createLogIndexer(db, { chunk: 3, now });
  const write = createEventWriter(db, { indexer });
  const profiles = createSqliteProfileStore(db);
  return {
    db,
    indexer,
    profiles,
    /** Appends one batch, then indexes if a chunk is due, as the writer thread does. */
    append(batch: TrackEvent[]) {
      write(batch);
      if (indexer.due) indexer.run();
    },
    history: async (r: string, limit?: number) =>
      (await profiles.tracking([r], limit)).map((e) => `${e.kind}@${e.at}`),
    indexed: () => db.prepare("SELECT recipient, seq FROM events_by_recipient ORDER BY seq").all(),
    through: () => db.prepare("SELECT through FROM log_index_state").pluck().get() as number,
    /** Erases a recipient as DELETE /v1/profiles does (their log rows, uniques, index entries). */
    erase: (r: string) =>
      profiles.erase({ profileId: null, recipients: [r], activityKeys: [], hashes: [], at: clock }),
    /** One whole retention run keeping `days`. */
    prune(days: number) {
      const pruner = createPruner(db, days);
      pruner.plan();
      while (pruner.slice());
    },
  };
}

describe("the log by recipient", () => {
  it("finds every row of a person, indexed or not yet, newest last, bounded by the limit", async () => {
    const log = openLog();
    const expected: Record<string, string[]> = { a: [], b: [] };
    for (let i = 0; i < 7; i++) {
      const batch = [hit("a", i % 2 ? "click" : "open"), hit("b"), hit(null)];
      log.append(batch);
      expected.a!.push(`${batch[0]!.kind}@${batch[0]!.at}`);
      expected.b!.push(`open@${batch[1]!.at}`);
    }
    log.append([hit("a")]); // one more, below a chunk: stays in the tail
    expected.a!.push(`open@${clock - 1}`);
    expect(log.through()).toBe(21); // 7 batches of 3 rows indexed, the 22nd row not yet
    expect(log.indexed()).toHaveLength(14); // rows without a recipient are not indexed
    expect(await log.history("a")).toEqual(expected.a);
    expect(await log.history("b")).toEqual(expected.b);
    expect(await log.history("a", 3)).toEqual(expected.a!.slice(-3));
    expect(await log.history("nobody")).toEqual([]);
  });

  it("finds, erases and prunes a person's rows across epochs of the index", async () => {
    const log = openLog();
    clock = Date.now();
    const tenDaysAgo = clock - 10 * 86_400_000;
    // A log that has grown past an epoch's worth of seqs: its newest row just below the line.
    log.db
      .prepare(
        "INSERT INTO events (seq, at, kind, campaign, recipient, class, reasons, method) VALUES (?, ?, 'open', 'c', 'a', 'human', '[]', 'GET')",
      )
      .run(LOG_INDEX_EPOCH - 2, tenDaysAgo);
    log.append([hit("a"), hit("b"), hit("a", "click")]); // seqs EPOCH - 1, EPOCH, EPOCH + 1
    log.append([hit("b"), hit("a"), hit(null)]);
    const epochs = log.db
      .prepare("SELECT epoch, recipient, seq FROM events_by_recipient ORDER BY epoch, recipient, seq")
      .all();
    expect(epochs).toEqual([
      { epoch: 0, recipient: "a", seq: LOG_INDEX_EPOCH - 2 },
      { epoch: 0, recipient: "a", seq: LOG_INDEX_EPOCH - 1 },
      { epoch: 1, recipient: "a", seq: LOG_INDEX_EPOCH + 1 },
      { epoch: 1, recipient: "a", seq: LOG_INDEX_EPOCH + 3 },
      { epoch: 1, recipient: "b", seq: LOG_INDEX_EPOCH },
      { epoch: 1, recipient: "b", seq: LOG_INDEX_EPOCH + 2 },
    ]);
    expect(await log.history("a")).toHaveLength(4);
    expect((await log.history("a"))[0]).toBe(`open@${tenDaysAgo}`);
    // Retention takes the old row and its entry; the rest stay found.
    log.prune(5);
    expect(await log.history("a")).toHaveLength(3);
    expect(log.indexed()).toHaveLength(5);
    await log.erase("a");
    expect(await log.history("a")).toEqual([]);
    expect(log.indexed()).toEqual([
      { recipient: "b", seq: LOG_INDEX_EPOCH },
      { recipient: "b", seq: LOG_INDEX_EPOCH + 2 },
    ]);
    expect(await log.history("b")).toHaveLength(2);
  });

  it("never reuses a seq, so rows appended after the newest were deleted are found", async () => {
    const log = openLog();
    log.append([hit("a"), hit("b"), hit("c")]);
    expect(log.through()).toBe(3);
    // Everything goes (retention after a quiet month): SQLite alone would restart at seq 1,
    // below `through`, and the index would never see those rows.
    log.db.exec("DELETE FROM events; DELETE FROM events_by_recipient");
    log.append([hit("a")]);
    expect(log.db.prepare("SELECT seq FROM events").pluck().all()).toEqual([4]);
    expect(await log.history("a")).toEqual([`open@${clock - 1}`]);
  });

  it("erases a person's rows from the indexed part, the tail and the index", async () => {
    const log = openLog();
    log.append([hit("gone"), hit("kept"), hit("gone")]); // indexed
    log.append([hit("gone")]); // tail
    const result = await log.erase("gone");
    expect(result.tracking).toBe(3);
    expect(await log.history("gone")).toEqual([]);
    expect(await log.history("kept")).toHaveLength(1);
    expect(log.indexed()).toEqual([{ recipient: "kept", seq: 2 }]);
  });

  it("erases a person's campaign uniques, found by recipient even once retention took the log rows", async () => {
    const log = openLog();
    clock = Date.now() - 10 * 86_400_000;
    log.append([hit("gone"), hit("kept"), hit("gone", "click")]); // indexed, then pruned
    clock = Date.now();
    const now = (recipient: string, campaign: string) => trackEvent({ at: clock++, recipient, campaign });
    log.append([now("gone", "mid"), now("kept", "mid"), now("gone", "mid")]); // indexed, kept
    log.append([now("gone", "later")]); // tail
    log.prune(5);
    expect(await log.history("gone")).toHaveLength(3);
    const uniques = () =>
      log.db
        .prepare("SELECT campaign || '/' || kind || '/' || recipient FROM campaign_uniques ORDER BY 1")
        .pluck()
        .all();
    expect(uniques()).toEqual([
      "c/click/gone",
      "c/open/gone",
      "c/open/kept",
      "later/open/gone",
      "mid/open/gone",
      "mid/open/kept",
    ]);
    const result = await log.erase("gone");
    expect([result.tracking, result.other]).toEqual([3, 4]);
    expect(uniques()).toEqual(["c/open/kept", "mid/open/kept"]);
    expect(log.db.prepare("SELECT recipient FROM campaign_uniques_by_recipient").pluck().all()).toEqual([
      "kept",
    ]);
  });

  it("loses the index entries of rows pruned by age", async () => {
    const log = openLog();
    clock = Date.now() - 10 * 86_400_000;
    log.append([hit("a"), hit("b"), hit("a")]);
    clock = Date.now();
    log.append([hit("a"), hit("b"), hit("c")]);
    log.prune(5);
    expect(log.indexed()).toEqual([
      { recipient: "a", seq: 4 },
      { recipient: "b", seq: 5 },
      { recipient: "c", seq: 6 },
    ]);
    expect(await log.history("a")).toHaveLength(1);
  });

  it("indexes a short tail once it has waited 10 s, at the next append", () => {
    let now = 0;
    const log = openLog(file(), () => now);
    log.append([hit("a")]);
    expect(log.indexer.due).toBe(false);
    now += 9_999;
    expect(log.indexer.due).toBe(false);
    now += 1;
    expect(log.indexer.due).toBe(true);
    log.indexer.run();
    expect([log.through(), log.indexed().length, log.indexer.due]).toEqual([1, 1, false]);
    now += 60_000;
    expect(log.indexer.due).toBe(false); // nothing waiting
  });

  it("cut short while another writer waits for the lock, indexes a step and stays due; the rest later", () => {
    const db = openDatabase(file());
    const indexer = createLogIndexer(db, { chunk: 20_000 });
    const write = createEventWriter(db, { indexer });
    for (let i = 0; i < 12; i++) write(Array.from({ length: 1_000 }, (_, j) => hit(`p${i * 1_000 + j}`)));
    expect(indexer.due).toBe(false); // 12,000 rows: under a chunk
    whileAWriterWaits(() => indexer.run({ yielding: true }));
    const through = () => db.prepare("SELECT through FROM log_index_state").pluck().get();
    const entries = () => db.prepare("SELECT count(*) FROM events_by_recipient").pluck().get();
    expect([through(), entries(), indexer.due]).toEqual([5_000, 5_000, true]);
    indexer.run({ yielding: true }); // nobody waits: the rest in one go
    expect([through(), entries(), indexer.due]).toEqual([12_000, 12_000, false]);
    db.close();
  });

  it("indexes, first thing after a crash, what the crashed process left in the tail", () => {
    const path = file();
    const crashed = openLog(path);
    crashed.append([hit("a")]);
    crashed.db.close(); // no shutdown: the row stays in the tail
    const log = openLog(path);
    expect([log.through(), log.indexer.due]).toEqual([0, true]);
    log.indexer.run();
    expect([log.through(), log.indexed().length]).toEqual([1, 1]);
  });

  it("indexes the whole tail at a graceful shutdown, in either store", async () => {
    for (const offThreadWrites of [false, true]) {
      const path = file();
      const store = createSqliteStore(path, { offThreadWrites });
      await store.events.append([hit("a"), hit("b")]);
      await store.close();
      const log = openLog(path);
      expect([log.through(), log.indexed().length, log.indexer.due]).toEqual([2, 2, false]);
      log.db.close();
    }
  });

  it("is built, on upgrade, from a log that had the SQL index", async () => {
    const path = file();
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, 7)) old.exec(m);
    old.pragma("user_version = 7");
    const insert = old.prepare(
      "INSERT INTO events (at, kind, campaign, recipient, class, reasons, method) VALUES (?, 'open', 'c', ?, 'human', '[]', 'GET')",
    );
    for (const r of ["b", "a", null, "a"]) insert.run(clock++, r);
    old.close();

    const log = openLog(path);
    expect(log.through()).toBe(4);
    expect(log.indexed()).toEqual([
      { recipient: "b", seq: 1 },
      { recipient: "a", seq: 2 },
      { recipient: "a", seq: 4 },
    ]);
    const indexes = log.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all();
    expect(indexes).not.toContain("events_recipient");
    log.append([hit("a")]);
    expect(await log.history("a")).toHaveLength(3);
  });
});
