import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { buildSync } from "esbuild";

export const ROOT = resolve(import.meta.dirname, "..");
export const BENCH_API_KEY = "bench-api-key-0123456789abcdefghijkl";
export const BENCH_SECRET = "bench-secret-0123456789abcdefghijklmn";

export interface Spawned {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

let built = false;
/**
 * Servers are measured as they ship: opentime as `npm start` runs it (tsc's output in
 * dist/), the baseline compiled the same way, never through tsx, whose transform adds work
 * to every closure a request creates (esbuild's keepNames) and would tax both sides unevenly.
 */
export function build(): void {
  if (built) return;
  execFileSync(
    process.execPath,
    [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: ROOT,
      stdio: "inherit",
    },
  );
  buildSync({
    entryPoints: [join(ROOT, "bench/baseline-server.ts")],
    outfile: join(ROOT, "dist/bench/baseline-server.js"),
    format: "esm",
    platform: "node",
    logLevel: "warning",
  });
  // The storeless diagnostic (bench/storeless-server.ts): the core bundled in, packages not.
  buildSync({
    entryPoints: [join(ROOT, "bench/storeless-server.ts")],
    outfile: join(ROOT, "dist/bench/storeless-server.js"),
    bundle: true,
    packages: "external",
    format: "esm",
    platform: "node",
    logLevel: "warning",
  });
  // bench/data.ts's server: compiled alone, it loads the shipped server from dist/ at run time.
  buildSync({
    entryPoints: [join(ROOT, "bench/data-server.ts")],
    outfile: join(ROOT, "dist/bench/data-server.js"),
    format: "esm",
    platform: "node",
    logLevel: "warning",
  });
  // The parse-only baseline of the ingest bench (bench/parse-only-server.ts), bundled the same way.
  buildSync({
    entryPoints: [join(ROOT, "bench/parse-only-server.ts")],
    outfile: join(ROOT, "dist/bench/parse-only-server.js"),
    bundle: true,
    packages: "external",
    format: "esm",
    platform: "node",
    logLevel: "warning",
  });
  built = true;
}

/** The bare Hono baseline (bench/baseline-server.ts, compiled) in its own process. */
export function spawnBaseline(env: Record<string, string> = {}): Promise<Spawned> {
  build();
  return spawnNode("dist/bench/baseline-server.js", env);
}

/** Starts a built entry in its own process and waits for `"port":N` on stdout. */
function spawnNode(
  entry: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Spawned> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the servers under load.
  const extra = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...extra, entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${entry} did not start: ${out}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m && !out.includes("\u0000started")) {
        out += "\u0000started";
        clearTimeout(t);
        res({
          url: `http://127.0.0.1:${m[1]}`,
          child,
          stop: () =>
            new Promise<void>((done) => {
              child.once("exit", () => done());
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.once("exit", (code) => rej(new Error(`${entry} exited ${code}: ${out}`)));
  });
}

/** The node flags of package.json's `start` script, so the bench runs the server as it ships. */
export const START_NODE_ARGS = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }
).scripts.start
  .split(" ")
  .filter((a) => a.startsWith("--"));

/** A real opentime server (SQLite in a fresh temp dir), as `npm start` would run it. */
export function spawnOpentime(extraEnv: Record<string, string> = {}): Promise<Spawned & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "opentime-bench-"));
  build();
  return spawnNode(
    "dist/node/main.js",
    {
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_API_KEY: BENCH_API_KEY,
      OPENTIME_SECRET: BENCH_SECRET,
      LOG_LEVEL: "info",
      ...extraEnv,
    },
    START_NODE_ARGS,
  ).then((s) => ({ ...s, dataDir }));
}

/** The shipped server with loopback data sources allowed (bench/data-server.ts). */
export function spawnDataServer(
  extraEnv: Record<string, string> = {},
): Promise<Spawned & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "opentime-bench-"));
  build();
  return spawnNode(
    "dist/bench/data-server.js",
    {
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_API_KEY: BENCH_API_KEY,
      OPENTIME_SECRET: BENCH_SECRET,
      LOG_LEVEL: "warn",
      ...extraEnv,
    },
    START_NODE_ARGS,
  ).then((s) => ({ ...s, dataDir }));
}

/**
 * opentime's request path with a store that only counts (bench/storeless-server.ts), run
 * with the shipped server's node flags: a diagnostic row, never opentime's figure.
 */
export function spawnStoreless(): Promise<Spawned> {
  build();
  return spawnNode(
    "dist/bench/storeless-server.js",
    { OPENTIME_API_KEY: BENCH_API_KEY, OPENTIME_SECRET: BENCH_SECRET },
    START_NODE_ARGS,
  );
}

/** The Segment request path with a profiles port that stores nothing (bench/parse-only-server.ts). */
export function spawnParseOnly(env: Record<string, string> = {}): Promise<Spawned> {
  build();
  return spawnNode(
    "dist/bench/parse-only-server.js",
    { OPENTIME_API_KEY: BENCH_API_KEY, OPENTIME_SECRET: BENCH_SECRET, ...env },
    START_NODE_ARGS,
  );
}

export interface LoadResult {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx3xx: number;
  requests: number;
  /**
   * CPU µs per request (with `pid`, on Linux): the server's busiest thread (its main
   * thread), all its other threads (an event writer, GC helpers, libuv), and autocannon.
   */
  mainUs?: number;
  otherUs?: number;
  clientUs?: number;
}

const TICK_US = (() => {
  try {
    return 1e6 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
  } catch {
    return 10_000;
  }
})();

/** CPU time used so far by each thread of a process, µs by thread id (empty off Linux). */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      // Fields after the command name: utime and stime are the 12th and 13th.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(tid, (Number(f[11]) + Number(f[12])) * TICK_US);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/**
 * Waits for opentime's event writer to settle: a campaign's stats read folds every
 * acknowledged hit into email activity and uniques first. Called between the rounds of a
 * bench, so the work a round of opentime left behind (up to one 2 s fold window) is done
 * there, not during the baseline's next round. Returns the stats, the wait, and the
 * process's CPU for it per request of the round just measured (`requests`).
 */
export async function settleOpentime(ot: Spawned, campaign: string, requests = 0) {
  const t0 = performance.now();
  const cpu0 = threadCpu(ot.child.pid!);
  const res = await fetch(`${ot.url}/v1/campaigns/${campaign}/stats`, {
    headers: { authorization: `Bearer ${BENCH_API_KEY}` },
  });
  const stats = (await res.json()) as { opens: { total: number }; clicks: { total: number } };
  let us = 0;
  for (const [tid, t] of threadCpu(ot.child.pid!)) us += t - (cpu0.get(tid) ?? 0);
  return {
    stats,
    ms: Math.round(performance.now() - t0),
    usPerRequest: requests > 0 ? +(us / requests).toFixed(1) : 0,
  };
}

/** Per request, from two threadCpu() snapshots: the busiest thread and the rest. */
function cpuPerRequest(before: Map<string, number>, after: Map<string, number>, n: number) {
  const used = [...after].map(([tid, us]) => us - (before.get(tid) ?? 0)).sort((x, y) => y - x);
  const main = used[0] ?? 0;
  const other = used.slice(1).reduce((a, x) => a + x, 0);
  return { mainUs: +(main / n).toFixed(1), otherUs: +(other / n).toFixed(1) };
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  method?: "GET" | "HEAD" | "POST";
  /** Varies the path per request (e.g. a different recipient each time). */
  path: (i: number) => string;
  headers?: Record<string, string>;
  /** Seconds of discarded warm-up before measuring (default 2; 0 for none). */
  warmup?: number;
  /** The server's process: its threads' CPU time per request is reported too. */
  pid?: number;
}

/** autocannon against 127.0.0.1, bounded in time; a short warm-up run is discarded. */
export async function load(name: string, url: string, opts: LoadOptions): Promise<LoadResult> {
  const run = (seconds: number) => {
    let i = 0;
    return autocannon({
      url,
      connections: opts.connections,
      duration: seconds,
      headers: {
        "user-agent":
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        ...opts.headers,
      },
      requests: [{ method: opts.method ?? "GET", setupRequest: (req) => ({ ...req, path: opts.path(i++) }) }],
    });
  };
  const warmup = opts.warmup ?? 2;
  if (warmup > 0) await run(warmup);
  const before = opts.pid ? threadCpu(opts.pid) : null;
  const client0 = process.cpuUsage();
  const r = await run(opts.seconds);
  const client = process.cpuUsage(client0);
  const cpu =
    before && opts.pid && r.requests.total > 0
      ? {
          ...cpuPerRequest(before, threadCpu(opts.pid), r.requests.total),
          clientUs: +((client.user + client.system) / r.requests.total).toFixed(1),
        }
      : {};
  return {
    name,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx3xx: r.non2xx - (r.statusCodeStats?.["302"]?.count ?? 0) - (r.statusCodeStats?.["304"]?.count ?? 0),
    requests: r.requests.total,
    ...cpu,
  };
}

/**
 * One row for several alternating rounds of the same load: the medians of each figure
 * (requests/s, latencies, CPU per request), errors and requests summed.
 */
export function medianRound(rs: LoadResult[]): LoadResult {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return {
    ...rs[0]!,
    rps: median(rs.map((x) => x.rps)),
    p50: median(rs.map((x) => x.p50)),
    p99: median(rs.map((x) => x.p99)),
    mainUs: median(rs.map((x) => x.mainUs ?? Number.NaN)),
    otherUs: median(rs.map((x) => x.otherUs ?? Number.NaN)),
    clientUs: median(rs.map((x) => x.clientUs ?? Number.NaN)),
    errors: rs.reduce((a, x) => a + x.errors, 0),
    non2xx3xx: rs.reduce((a, x) => a + x.non2xx3xx, 0),
    requests: rs.reduce((a, x) => a + x.requests, 0),
  };
}

export function report(bench: string, rows: object[], summary: Record<string, unknown>): void {
  console.table(rows);
  console.log(JSON.stringify(summary, null, 2));
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${bench}.json`),
    `${JSON.stringify({ bench, at: new Date().toISOString(), rows, summary }, null, 2)}\n`,
  );
}
