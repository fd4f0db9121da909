import type { Logger } from "../core/ports/index.js";
import type { Intervals } from "../core/ports/intervals.js";

/** Node's Intervals: unref'd (they never keep the process alive) and stopped as one on close. */
export function createNodeIntervals(logger: Logger): Intervals & { close(): Promise<void> } {
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let closed = false;
  return {
    every(ms, task) {
      if (closed) return;
      const timer = setInterval(() => {
        const run: Promise<void> = task()
          .catch((err) => logger.error({ err }, "background task failed"))
          .finally(() => running.delete(run));
        running.add(run);
      }, ms);
      timer.unref();
      timers.add(timer);
    },
    async close() {
      closed = true;
      for (const t of timers) clearInterval(t);
      timers.clear();
      await Promise.all(running);
    },
  };
}
