import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { TEST_API_KEY, TEST_SECRET, tempDir } from "./server.js";

const ROOT = resolve(import.meta.dirname, "../..");

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

function launch(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/node/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Starts the entry point; rejects if it exits first or has not listened within `budgetMs`. */
function start(env: Record<string, string>, budgetMs: number): Promise<ServerProcess> {
  const child = launch(env);
  let out = "";
  let err = "";
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start within ${budgetMs} ms:\n${out}\n${err}`));
    }, budgetMs);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+).*"opentime listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({
          child,
          url: `http://127.0.0.1:${m[1]}`,
          stdout: () => out,
          stderr: () => err,
          exited,
        });
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}

/**
 * How long the entry point takes to start here and now (ms): started once per test file,
 * as the file is collected, on a fresh data dir. The first start has no budget to derive
 * from; its bound only stops a hung process from hanging the run.
 */
async function measureStart(): Promise<number> {
  const dataDir = tempDir();
  try {
    const t0 = performance.now();
    const srv = await start(
      { OPENTIME_DATA_DIR: dataDir, OPENTIME_API_KEY: TEST_API_KEY, OPENTIME_SECRET: TEST_SECRET },
      10 * 60_000,
    );
    const ms = performance.now() - t0;
    srv.child.kill("SIGTERM");
    await srv.exited;
    return ms;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

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
