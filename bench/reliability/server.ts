import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { build, ROOT, START_NODE_ARGS } from "../lib.js";

/**
 * The server under test, in its own process: as `npm start` runs it (tsc's output in dist/,
 * the start script's node flags), or from source through tsx (`fromSource`, for the smoke
 * test, which cannot afford a build). Restartable on the same data dir, killable with
 * SIGKILL, and watched: an exit nobody asked for is a crash, with the output that preceded it.
 */
export interface ServerOptions {
  dataDir: string;
  env: Record<string, string>;
  fromSource?: boolean;
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningServer {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Milliseconds from spawn to "opentime listening". */
  startMs: number;
  exited: Promise<ServerExit>;
  readonly alive: boolean;
  /** The last lines the process wrote (stdout and stderr, bounded). */
  output(): string;
  /** Log lines at level error or above, as written (bounded). */
  errors(): string[];
  /** Resident memory now, bytes (0 once it has exited). */
  rss(): number;
  kill9(): Promise<ServerExit>;
  /** SIGTERM: a graceful stop (everything buffered is flushed); resolves with the exit. */
  stop(): Promise<ServerExit>;
}

const OUTPUT_KEEP = 64 * 1024;
const ERRORS_KEEP = 200;

/** Builds dist/ once per process (skipped from source). */
export function prepare(fromSource = false): void {
  if (!fromSource) build();
}

/** Bytes as MB with one decimal, for the figures. */
export const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;

export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function startServer(opts: ServerOptions, startBoundMs = 60_000): Promise<RunningServer> {
  const args = opts.fromSource
    ? ["--import", "tsx", "src/node/main.ts"]
    : [...START_NODE_ARGS, "dist/node/main.js"];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      OPENTIME_DATA_DIR: opts.dataDir,
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let pendingLine = "";
  const errors: string[] = [];
  let alive = true;
  const exited = new Promise<ServerExit>((res) =>
    child.once("exit", (code, signal) => {
      alive = false;
      res({ code, signal });
    }),
  );
  const keep = (s: string) => {
    out += s;
    if (out.length > 2 * OUTPUT_KEEP) out = out.slice(-OUTPUT_KEEP);
  };
  child.stderr!.on("data", (d: Buffer) => keep(d.toString()));
  return new Promise((resolve, reject) => {
    let started = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start within ${startBoundMs} ms:\n${out.slice(-4000)}`));
    }, startBoundMs);
    child.stdout!.on("data", (d: Buffer) => {
      const s = d.toString();
      keep(s);
      const lines = (pendingLine + s).split("\n");
      pendingLine = lines.pop()!;
      for (const line of lines) {
        // pino: level 50 is error, 60 fatal.
        if (/"level":(5|6)0/.test(line)) {
          errors.push(line.slice(0, 4000));
          if (errors.length > ERRORS_KEEP) errors.shift();
        }
        const m = !started && /"port":(\d+).*"opentime listening"/.exec(line);
        if (m) {
          started = true;
          clearTimeout(timer);
          const handle: RunningServer = {
            url: `http://127.0.0.1:${m[1]}`,
            pid: child.pid!,
            child,
            startMs: Math.round(performance.now() - t0),
            exited,
            get alive() {
              return alive;
            },
            output: () => out.slice(-OUTPUT_KEEP),
            errors: () => [...errors],
            rss: () => (alive ? rssOf(child.pid!) : 0),
            kill9: () => {
              if (alive) child.kill("SIGKILL");
              return exited;
            },
            stop: () => {
              if (alive) child.kill("SIGTERM");
              return exited;
            },
          };
          resolve(handle);
        }
      }
    });
    exited.then((e) => {
      clearTimeout(timer);
      if (!started)
        reject(new Error(`server exited (${e.code ?? e.signal}) before listening:\n${out.slice(-4000)}`));
    });
  });
}

/** The line of a dying process's output that says why (its last error line). */
export function crashLine(output: string): string {
  const lines = output.split("\n").filter((l) => l.trim());
  const err = [...lines].reverse().find((l) => /^\s*\w*(Error|Exception)\b|^\s*\[?ERR_|"level":60/.test(l));
  return (err ?? lines[lines.length - 1] ?? "no output").trim().slice(0, 200);
}

/** The server's last logged error, message and top of stack. */
export function lastError(server: RunningServer): string {
  const line = server.errors().at(-1);
  if (!line) return "(nothing logged)";
  try {
    const { msg, err } = JSON.parse(line) as { msg?: string; err?: { message?: string; stack?: string } };
    return `${msg}: ${err?.stack?.split("\n").slice(0, 4).join(" ") ?? err?.message ?? ""}`.slice(0, 800);
  } catch {
    return line.slice(0, 800);
  }
}
