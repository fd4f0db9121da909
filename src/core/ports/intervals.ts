/**
 * Background work that repeats (scheduled feed imports). The Node adapter
 * (src/node/intervals.ts) uses unref'd setInterval and, on close, clears every interval and
 * waits for a task still running, so the store is never closed under it. Without one, such
 * work never runs (core tests drive it by hand with a fake clock).
 */
export interface Intervals {
  every(ms: number, task: () => Promise<void>): void;
}
