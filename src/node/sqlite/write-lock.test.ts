import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { tempDbFiles } from "../testing/temp-files.js";
import { immediate, lockWaiters, lockWanted, renderLockWaits } from "./write-lock.js";

// The write lock polled for (write-lock.ts), on a real SQLite file, with a second
// connection on another thread holding the lock as the other writer threads do.
const file = tempDbFiles("opentime-write-lock-");

function open(path: string) {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.exec("CREATE TABLE IF NOT EXISTS t (x INTEGER)");
  const insert = db.prepare("INSERT INTO t VALUES (?)");
  return {
    db,
    insert: (x: number) => insert.run(x),
    rows: () => db.prepare("SELECT x FROM t ORDER BY x").pluck().all(),
  };
}

/**
 * Another thread's connection: takes the lock, says so, then holds it until it has seen
 * this thread counted as waiting (or `holdMs` passed), plus `afterMs`; then commits.
 */
function holder(path: string, opts: { holdMs: number; afterMs: number }) {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const Database = require(workerData.module);
     const db = new Database(workerData.path);
     const waiting = new Int32Array(workerData.waiters);
     const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
     db.exec("BEGIN IMMEDIATE");
     db.prepare("INSERT INTO t VALUES (100)").run();
     parentPort.postMessage("locked");
     const until = Date.now() + workerData.holdMs;
     let sawWaiter = false;
     while (Date.now() < until && !(sawWaiter = Atomics.load(waiting, 0) > 0)) nap(1);
     nap(workerData.afterMs);
     db.exec("COMMIT");
     db.close();
     parentPort.postMessage({ sawWaiter });`,
    {
      eval: true,
      workerData: {
        path,
        module: createRequire(import.meta.url).resolve("better-sqlite3"),
        waiters: lockWaiters(),
        ...opts,
      },
    },
  );
  const next = () =>
    new Promise<unknown>((resolve, reject) => worker.once("message", resolve).once("error", reject));
  return { locked: next(), done: () => next() };
}

/** The main thread's series of the wait histogram, as /metrics shows them. */
function mainWaits() {
  const text = renderLockWaits();
  const read = (series: string) => Number(text.match(new RegExp(`^${series} (\\S+)$`, "m"))![1]);
  const name = "opentime_sqlite_write_lock_wait_seconds";
  return {
    count: read(`${name}_count\\{thread="main"\\}`),
    sum: read(`${name}_sum\\{thread="main"\\}`),
    upTo25ms: read(`${name}_bucket\\{thread="main",le="0.025"\\}`),
  };
}

describe("the write lock", () => {
  it("commits, rolls back what a throw left, and a call inside a transaction joins it", () => {
    const s = open(file());
    immediate(s.db, s.insert)(1);
    expect(s.rows()).toEqual([1]);
    const failing = immediate(s.db, () => {
      s.insert(2);
      throw new Error("no");
    });
    expect(failing).toThrow("no");
    expect(s.db.inTransaction).toBe(false);
    // Nested: no savepoint of its own, so the outer throw takes its row too.
    const inner = immediate(s.db, s.insert);
    const outer = immediate(s.db, () => {
      inner(3);
      expect(s.db.inTransaction).toBe(true);
      throw new Error("outer");
    });
    expect(outer).toThrow("outer");
    expect(s.rows()).toEqual([1]);
    expect(s.db.pragma("busy_timeout", { simple: true })).toBe(5000);
    s.db.close();
  });

  it("waits while another thread writes, counted as waiting, and writes once it commits", async () => {
    const path = file();
    const s = open(path);
    const other = holder(path, { holdMs: 2_000, afterMs: 30 });
    await other.locked;
    const done = other.done();
    const before = mainWaits();
    immediate(s.db, s.insert)(1); // blocks this thread until the other commits
    expect(await done).toEqual({ sawWaiter: true });
    // /metrics: one wait of this (the main) thread, of at least the 30 ms held after it was seen.
    const after = mainWaits();
    expect(after.count - before.count).toBe(1);
    expect(after.upTo25ms - before.upTo25ms).toBe(0);
    expect(after.sum - before.sum).toBeGreaterThanOrEqual(0.03);
    expect(lockWanted()).toBe(false);
    expect(s.rows()).toEqual([1, 100]);
    expect(s.db.pragma("busy_timeout", { simple: true })).toBe(5000);
    s.db.close();
  });

  it("gives up with SQLITE_BUSY after its wait, writing nothing", async () => {
    const path = file();
    const s = open(path);
    const other = holder(path, { holdMs: 0, afterMs: 400 });
    await other.locked;
    const done = other.done();
    const started = performance.now();
    let err: unknown;
    try {
      immediate(s.db, s.insert, { waitMs: 50 })(1);
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe("SQLITE_BUSY");
    expect(performance.now() - started).toBeLessThan(350);
    expect(lockWanted()).toBe(false);
    await done;
    expect(s.rows()).toEqual([100]);
    s.db.close();
  });
});
