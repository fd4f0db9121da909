import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// No imports from src/: vitest.config.ts loads this file too.
const ROOT = resolve(import.meta.dirname, "../..");

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** The real entry point (src/node/main.ts) as its own process, as an operator runs it. */
export function launch(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/node/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Starts the entry point; rejects if it exits first or has not listened within `budgetMs`. */
export function start(env: Record<string, string>, budgetMs: number): Promise<ServerProcess> {
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
 * How long the entry point takes to start here and now (ms), on a fresh data dir: the unit
 * test budgets are counted in. This start has no budget to derive from; its bound only
 * stops a hung process from hanging the run.
 */
export async function measureStart(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "opentime-start-"));
  try {
    const t0 = performance.now();
    const srv = await start(
      {
        OPENTIME_DATA_DIR: dataDir,
        OPENTIME_API_KEY: "start-api-key-0123456789abcdefghijkl",
        OPENTIME_SECRET: "start-secret-0123456789abcdefghijklmn",
      },
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
