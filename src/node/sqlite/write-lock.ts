import type Database from "better-sqlite3";

/**
 * The file's write lock, waited for by polling every POLL_MS instead of by SQLite's busy
 * handler, and given up by background work while anyone waits for it.
 *
 * Why: three connections write one file (the event writer, the profile writer, the main
 * thread), and SQLite's default busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25… ms
 * between tries. A waiter that has slept through a few tries sleeps 25 ms at a time, so
 * it misses the gap between another writer's transactions and waits out the next one too:
 * Segment ingest behind the email-activity fold's slices waited up to several hundred ms
 * (`npm run bench -- contention`). Polling every half millisecond, a waiter gets the lock
 * within that of its release — unless the holder's thread takes it again at once, as the
 * event writer does between a fold slice, a log batch and a chunk of the log's index. So
 * the threads of the process share a count of writers waiting (a SharedArrayBuffer handed
 * to each worker), and work nobody waits on (`background`) lets them go first.
 *
 * Only BEGIN IMMEDIATE polls: the connection's busy_timeout is set to 0 for that statement
 * and restored after, so every other statement keeps SQLite's handler.
 */
const POLL_MS = 0.5;
/** How long a writer waits for the lock before giving up with SQLITE_BUSY (as busy_timeout did). */
export const LOCK_WAIT_MS = 5_000;
/** How long background work stands aside for waiters before it queues up with them. */
const YIELD_MAX_MS = 100;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let waiting = new Int32Array(new SharedArrayBuffer(4));

/** This process's count of writers waiting for the lock: pass it to each writer thread. */
export function lockWaiters(): SharedArrayBuffer {
  return waiting.buffer as SharedArrayBuffer;
}

/** In a worker thread: count waiters with the process's other threads (from lockWaiters()). */
export function shareLockWaiters(buffer: SharedArrayBuffer | undefined): void {
  if (buffer) waiting = new Int32Array(buffer);
}

/** Whether a writer of this process waits for the lock: long background work ends its transaction early. */
export function lockWanted(): boolean {
  return Atomics.load(waiting, 0) > 0;
}

/**
 * `fn` as one IMMEDIATE transaction (rolled back if it throws), the lock polled for.
 * Inside a transaction already open on this connection it is just `fn(...args)`: part of
 * that one, not a savepoint (a savepoint journals the original of every page it changes,
 * spilling past 64 KB to a temporary file: the fold's slices cost ~1.3 µs of system time
 * per hit more that way).
 * `background`: before taking the lock, stand aside (up to YIELD_MAX_MS) while others wait.
 */
export function immediate<A extends unknown[], R>(
  db: Database.Database,
  fn: (...args: A) => R,
  opts: { waitMs?: number; background?: boolean } = {},
): (...args: A) => R {
  const waitMs = opts.waitMs ?? LOCK_WAIT_MS;
  const timeout = db.pragma("busy_timeout", { simple: true }) as number;
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");

  const lock = () => {
    if (opts.background) {
      const until = performance.now() + YIELD_MAX_MS;
      while (Atomics.load(waiting, 0) > 0 && performance.now() < until) Atomics.wait(sleeper, 0, 0, POLL_MS);
    }
    // Not a prepared statement: SQLite applies this pragma when it is compiled, not run.
    db.pragma("busy_timeout = 0");
    let counted = false;
    try {
      const deadline = performance.now() + waitMs;
      for (;;) {
        try {
          begin.run();
          return;
        } catch (err) {
          // SQLITE_BUSY, or an extended code of it (SQLITE_BUSY_RECOVERY while another
          // connection replays the WAL): the lock is someone else's for now.
          const busy = (err as { code?: string }).code?.startsWith("SQLITE_BUSY") ?? false;
          if (!busy || performance.now() >= deadline) throw err;
          if (!counted) Atomics.add(waiting, 0, 1);
          counted = true;
          Atomics.wait(sleeper, 0, 0, POLL_MS);
        }
      }
    } finally {
      if (counted) Atomics.sub(waiting, 0, 1);
      db.pragma(`busy_timeout = ${timeout}`);
    }
  };

  return (...args) => {
    if (db.inTransaction) return fn(...args);
    lock();
    try {
      const out = fn(...args);
      commit.run();
      return out;
    } catch (err) {
      if (db.inTransaction) rollback.run();
      throw err;
    }
  };
}
