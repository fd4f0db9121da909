/**
 * Writes whose callers wait for them, batched without a timer: items added while a write
 * is in flight go together in the next one, so a busy stream becomes few large
 * transactions and a lone item is written at once. Order is kept, never two writes at
 * once; the items added in the same turn share one. Each add() resolves when its batch is written and rejects if that write failed
 * (unlike group-commit.ts, whose callers never wait and whose failures are retried there).
 */
export interface AckedBatches<T> {
  add(item: T): Promise<void>;
  readonly pending: number;
}

export function createAckedBatches<T>(
  write: (batch: T[]) => Promise<void>,
  maxBatch = 2_000,
): AckedBatches<T> {
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
        // Started on the next microtask, so the items added in the same turn share a write.
        busy = true;
        queueMicrotask(() => void drain());
      });
    },
    get pending() {
      return waiting.length;
    },
  };
}
