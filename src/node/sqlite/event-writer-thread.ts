import type { Logger, TrackEvent } from "../../core/ports/index.js";
import { startModuleWorker } from "../worker-thread.js";

/**
 * The main-thread side of the event writer: batches go to a worker thread that owns its
 * own SQLite connection (WAL lets it write while the main connection reads), and each
 * append resolves once that batch is committed. Replies come back in order, one per batch.
 * With `profiles`, the same transaction adds each batch's opens/clicks to the recipients'
 * email activity: an append (so a recorder flush) then covers the profiles too.
 */
export interface EventWriterThread {
  append(batch: readonly TrackEvent[]): Promise<void>;
  close(): Promise<void>;
}

type Reply = { id: number; ok: true } | { id: number; ok: false; message: string };
/** The worker has no logger of its own: it sends its lines here. */
type LogLine = { log: "warn" | "error"; obj: object; msg: string };

export function startEventWriterThread(
  file: string,
  profiles?: { secret: string; logger?: Logger },
): EventWriterThread {
  const workerData = { file, profileSecret: profiles?.secret ?? null };
  const worker = startModuleWorker(import.meta.url, "./event-writer.worker", workerData);
  worker.unref();
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failed: Error | null = null;

  worker.on("message", (msg: Reply | LogLine) => {
    if ("log" in msg) {
      profiles?.logger?.[msg.log](msg.obj, msg.msg);
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve();
    else p.reject(new Error(msg.message));
  });
  const failAll = (err: Error) => {
    failed = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`event writer thread exited (${code})`)));

  return {
    append(batch) {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, batch });
      });
    },
    async close() {
      if (failed) return;
      // Ask the worker to close its connection after every batch already posted.
      await new Promise<void>((resolve) => {
        worker.once("exit", () => resolve());
        worker.postMessage({ close: true });
      });
    },
  };
}
