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

/**
 * The threads that write, as labelled in /metrics. Each thread's waits for the lock go to
 * a histogram in the same shared buffer, so the main thread renders all three.
 */
const THREADS = ["main", "event_writer", "profile_writer", "sends_writer"] as const;
export type WriterThread = (typeof THREADS)[number];
/** Upper bounds (s) of the wait histogram's buckets. */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
// Per thread: a count per bucket, then +Inf, then the sum in µs (BigInt64, never wraps).
const PER_THREAD = WAIT_BUCKETS.length + 2;

/** [0]: writers waiting now (Int32); from byte 8: the wait histograms (BigInt64). */
function sharedState(buffer = new SharedArrayBuffer(8 + 8 * PER_THREAD * THREADS.length)) {
  return { buffer, waiting: new Int32Array(buffer, 0, 1), waits: new BigInt64Array(buffer, 8) };
}
let shared = sharedState();
/** This thread's histogram: where its counts start in `shared.waits`. */
let histogramAt = 0;

/** This process's count of writers waiting for the lock (and their waits): pass it to each writer thread. */
export function lockWaiters(): SharedArrayBuffer {
  return shared.buffer;
}

/** In a worker thread: count waiters with the process's other threads (from lockWaiters()). */
export function shareLockWaiters(buffer: SharedArrayBuffer | undefined, as: WriterThread): void {
  if (buffer) shared = sharedState(buffer);
  histogramAt = THREADS.indexOf(as) * PER_THREAD;
}

/** How long each writing thread's transactions waited for the lock, as a Prometheus histogram. */
export function renderLockWaits(): string {
  const name = "opentime_sqlite_write_lock_wait_seconds";
  let out = `# HELP ${name} Time a write transaction waited for the SQLite file's write lock, by thread\n`;
  out += `# TYPE ${name} histogram\n`;
  THREADS.forEach((t, k) => {
    const at = k * PER_THREAD;
    let cumulative = 0n;
    for (let i = 0; i <= WAIT_BUCKETS.length; i++) {
      cumulative += Atomics.load(shared.waits, at + i);
      out += `${name}_bucket{thread="${t}",le="${WAIT_BUCKETS[i] ?? "+Inf"}"} ${cumulative}\n`;
    }
    const sum = Number(Atomics.load(shared.waits, at + WAIT_BUCKETS.length + 1)) / 1e6;
    out += `${name}_sum{thread="${t}"} ${sum}\n${name}_count{thread="${t}"} ${cumulative}\n`;
  });
  return out;
}

function observeWait(ms: number): void {
  const at = histogramAt;
  let i = 0;
  while (i < WAIT_BUCKETS.length && ms / 1000 > WAIT_BUCKETS[i]!) i++;
  Atomics.add(shared.waits, at + i, 1n);
  Atomics.add(shared.waits, at + WAIT_BUCKETS.length + 1, BigInt(Math.round(ms * 1000)));
}

/** Whether a writer of this process waits for the lock: long background work ends its transaction early. */
export function lockWanted(): boolean {
  return Atomics.load(shared.waiting, 0) > 0;
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
      while (lockWanted() && performance.now() < until) Atomics.wait(sleeper, 0, 0, POLL_MS);
    }
    // Not a prepared statement: SQLite applies this pragma when it is compiled, not run.
    db.pragma("busy_timeout = 0");
    let counted = false;
    const started = performance.now();
    try {
      const deadline = started + waitMs;
      for (;;) {
        try {
          begin.run();
          return;
        } catch (err) {
          // SQLITE_BUSY, or an extended code of it (SQLITE_BUSY_RECOVERY while another
          // connection replays the WAL): the lock is someone else's for now.
          const busy = (err as { code?: string }).code?.startsWith("SQLITE_BUSY") ?? false;
          if (!busy || performance.now() >= deadline) throw err;
          if (!counted) Atomics.add(shared.waiting, 0, 1);
          counted = true;
          Atomics.wait(sleeper, 0, 0, POLL_MS);
        }
      }
    } finally {
      if (counted) Atomics.sub(shared.waiting, 0, 1);
      db.pragma(`busy_timeout = ${timeout}`);
      observeWait(performance.now() - started);
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
