import type { Transferable, Worker } from "node:worker_threads";
import { parentPort } from "node:worker_threads";
import type { Logger } from "../core/ports/index.js";

/**
 * Calls into a worker thread as promises: `{ id, op, args }` out, `{ id, ok, value | message }`
 * back. Errors cross as their message (Error fields do not survive postMessage); log lines
 * from the worker reach the main thread's logger.
 */
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };
type LogLine = { log: "warn" | "error"; obj: object; msg: string };

export class WorkerRpc {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failed: Error | null = null;

  constructor(
    private readonly worker: Worker,
    logger?: Logger,
  ) {
    worker.unref();
    worker.on("message", (msg: Reply | LogLine) => {
      if ("log" in msg) {
        logger?.[msg.log](msg.obj, msg.msg);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.message));
    });
    const failAll = (err: Error) => {
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => failAll(new Error(`worker thread exited (${code})`)));
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    return this.callMoving<T>(op, [], ...args);
  }

  /** As call(), moving `transfer` (e.g. typed arrays' buffers) to the worker instead of copying. */
  callMoving<T>(op: string, transfer: readonly Transferable[], ...args: unknown[]): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  /** Asks the worker to finish what it was sent, close and exit; resolves on its exit. */
  async close(): Promise<void> {
    if (this.failed) return;
    await new Promise<void>((resolve) => {
      this.worker.once("exit", () => resolve());
      this.worker.postMessage({ close: true });
    });
  }
}

/** The worker side: runs `handlers[op](...args)` per call, in arrival order of replies' promises. */
export function serveRpc(
  handlers: Record<string, (...args: never[]) => Promise<unknown>>,
  onClose: () => Promise<void>,
): void {
  const port = parentPort!;
  port.on("message", (msg: { id: number; op: string; args: never[] } | { close: true }) => {
    if ("close" in msg) {
      void onClose().then(() => process.exit(0));
      return;
    }
    const h = handlers[msg.op];
    if (!h) {
      port.postMessage({ id: msg.id, ok: false, message: `unknown op ${msg.op}` });
      return;
    }
    h(...msg.args).then(
      (value) => port.postMessage({ id: msg.id, ok: true, value }),
      (err: unknown) =>
        port.postMessage({ id: msg.id, ok: false, message: (err as Error)?.message ?? String(err) }),
    );
  });
}

/** A Logger for code in a worker: warn/error lines go to the main thread's logger. */
export function workerLogger(): Logger {
  const send = (level: "warn" | "error") => (obj: object, msg?: string) => {
    const err = (obj as { err?: unknown }).err;
    const safe = err instanceof Error ? { ...obj, err: { message: err.message, stack: err.stack } } : obj;
    parentPort!.postMessage({ log: level, obj: safe, msg: msg ?? "" });
  };
  return { debug() {}, info() {}, warn: send("warn"), error: send("error") };
}
