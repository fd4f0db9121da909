import { lockWaiters } from "../sqlite/write-lock.js";

/**
 * For tests: runs `fn` as if another thread of the process waited for the SQLite write lock
 * (counted in write-lock.ts's shared buffer, whose first Int32 is the count of waiters).
 */
export function whileAWriterWaits<T>(fn: () => T): T {
  const waiting = new Int32Array(lockWaiters(), 0, 1);
  Atomics.add(waiting, 0, 1);
  try {
    return fn();
  } finally {
    Atomics.sub(waiting, 0, 1);
  }
}
