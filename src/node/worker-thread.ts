import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * Starts `name` (a module next to `from`, e.g. "./x.worker") as a worker thread, whether
 * running built (.js) or from TypeScript sources under tsx/vitest (.ts): there the worker
 * registers tsx itself first, as loader flags in execArgv do not reach worker threads on
 * Node 20.
 */
export function startModuleWorker(from: string, name: string, workerData: unknown): Worker {
  const ext = extname(fileURLToPath(from));
  const script = new URL(`${name}${ext}`, from);
  return ext === ".ts"
    ? new Worker(
        `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(script.href)}); });`,
        { eval: true, workerData },
      )
    : new Worker(script, { workerData });
}
