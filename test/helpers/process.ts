import { launch, measureStart, type ServerProcess, start } from "./entry.js";

export type { ServerProcess };

/**
 * How long the entry point takes to start, measured again as each file that starts
 * processes is collected: the load of the moment, other test forks included.
 */
export const measuredStartMs = await measureStart();

/**
 * How many measured starts one start may take: the load changes while a file runs (other
 * test forks start and finish their own servers and renders).
 */
const SLACK = 4;

/** The bound on one start (or one stop, or one run of the CLI, which loads the same code). */
export function startBudget(): number {
  return Math.ceil(SLACK * measuredStartMs);
}

/**
 * A test's or hook's timeout, for work worth `starts` starts of the entry point: the
 * spawns and restarts it makes, and the requests it sends, counted in the same unit.
 */
export function budgetFor(starts: number): number {
  return Math.ceil(starts * startBudget());
}

/** Runs the real entry point (src/node/main.ts) as its own process, as an operator would. */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  return start(env, startBudget());
}

/** Runs the entry point expecting it to fail at start; resolves with its exit code and output. */
export function runUntilExit(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = launch(env);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), startBudget());
  return new Promise((res) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      res({ code, stderr: err, stdout: out });
    }),
  );
}
