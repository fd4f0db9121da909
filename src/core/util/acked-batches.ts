/**
 * Writes whose callers wait for them, batched: the first item opens a window of `windowMs`
 * (0: until the end of the current turn), the items added in it share one write, and items
 * added while a write is in flight go together in the next. Order is kept, never two writes
 * at once. Each add() resolves when its batch is written and rejects if that write failed
 * (unlike group-commit.ts, whose callers never wait and whose failures are retried there).
 * The window matters where a write blocks the thread (a synchronous SQLite commit and its
 * fsync): nothing else runs meanwhile, so without it every write would carry one item.
 */
export interface AckedBatches<T> {
  add(item: T): Promise<void>;
  readonly pending: number;
}

export function createAckedBatches<T>(
  write: (batch: T[]) => Promise<void>,
  opts: { windowMs?: number; maxBatch?: number } = {},
): AckedBatches<T> {
  const windowMs = opts.windowMs ?? 0;
  const maxBatch = opts.maxBatch ?? 2_000;
  let waiting: { item: T; done: (err?: unknown) => void }[] = [];
  let busy = false;

  const drain = async () => {
    while (waiting.length > 0) {
      const batch = waiting.length > maxBatch ? waiting.splice(0, maxBatch) : waiting;
      if (batch === waiting) waiting = [];
      let error: unknown;
      try {
        await write(batch.map((w) => w.item));
      } catch (err) {
        error = err ?? new Error("write failed");
      }
      for (const w of batch) w.done(error);
    }
    busy = false;
  };

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ item, done: (err) => (err === undefined ? resolve() : reject(err)) });
        if (busy) return;
        busy = true;
        if (windowMs > 0) setTimeout(() => void drain(), windowMs);
        else queueMicrotask(() => void drain());
      });
    },
    get pending() {
      return waiting.length;
    },
  };
}
