import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOpenMeteoStandIn } from "../../test/helpers/open-meteo.js";
import { buildInput, type FuzzContext, followUps, seedInputs } from "./fuzz-input.js";
import { check, type Finding, RegisteredTargets } from "./fuzz-oracles.js";
import { routesOf } from "./fuzz-schema.js";
import { seedBodies } from "./fuzz-seeds.js";
import { crashLine, lastError, mb, prepare, type RunningServer, startServer } from "./server.js";
import { describe, reproduction, send, type WireOutcome, type WireRequest } from "./wire.js";
import { createWorld, serverEnv } from "./world.js";

/**
 * The fuzz run: every documented route, `n` inputs of a seed (fuzz-input.ts), each on its own
 * connection, answers checked (fuzz-oracles.ts), and the URLs a successful answer names
 * (a new link, a block's image) followed, so what was just stored is exercised too. When
 * the process exits under it, the inputs in flight are replayed one at a time on a restarted
 * server (same data dir) to find the one that kills it.
 */
export interface FuzzOptions {
  seed: number;
  n: number;
  /** Only this input (a reproduction of one finding). */
  only?: number;
  concurrency?: number;
  fromSource?: boolean;
  /** Stop drawing inputs after this long (the run stays bounded on a slow machine). */
  maxSeconds?: number;
  log?: (line: string) => void;
}

export interface FindingReport {
  kind: Finding["kind"];
  signature: string;
  count: number;
  /** The first input that showed it. */
  input: number | null;
  request: string;
  reproduction: string;
  detail: string;
}

export interface FuzzFigures {
  seed: number;
  routes: number;
  /** Documented routes (method and path) that got at least one input. */
  routesHit: number;
  inputs: number;
  requests: number;
  seconds: number;
  statuses: Record<string, number>;
  /** Answers the image check decoded, and redirects whose target was looked up. */
  checked: { images: number; redirects: number };
  counts: Record<Finding["kind"], number>;
  findings: FindingReport[];
  seedsRefused: string[];
  rssBeforeMb: number;
  rssAfterMb: number;
  rssSettledMb: number;
}

const REPRO_PORT = 8080;
const MAX_CRASH_REPLAYS = 8;
const FOLLOW_UPS = 3;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzFigures> {
  const log = opts.log ?? (() => {});
  prepare(opts.fromSource);
  const weather = await startOpenMeteoStandIn();
  const dataDir = mkdtempSync(join(tmpdir(), "opentime-reliability-fuzz-"));
  const env = serverEnv(weather.url);
  let server = await startServer({ dataDir, env, fromSource: opts.fromSource });
  const targets = new RegisteredTargets(join(dataDir, "opentime.db"));
  const t0 = performance.now();
  const statuses: Record<string, number> = {};
  const counts: Record<Finding["kind"], number> = {
    "5xx": 0,
    no_answer: 0,
    broken_connection: 0,
    open_redirect: 0,
    bad_image: 0,
    crash: 0,
  };
  const bySignature = new Map<string, FindingReport>();
  let requests = 0;
  let inputs = 0;
  // How often the image and redirect checks had something to check.
  const checked = { images: 0, redirects: 0 };
  const tally = (req: WireRequest, out: WireOutcome) => {
    if (!out.ok) return;
    statuses[out.res.status] = (statuses[out.res.status] ?? 0) + 1;
    if (out.res.headers.has("location")) checked.redirects++;
    const image = (out.res.headers.get("content-type") ?? "").startsWith("image/");
    if (req.method === "GET" && out.res.status === 200 && image) checked.images++;
  };
  const record = (f: Finding, input: number | null, req: WireRequest) => {
    counts[f.kind]++;
    const seen = bySignature.get(f.signature);
    if (seen) seen.count++;
    else
      bySignature.set(f.signature, {
        ...f,
        count: 1,
        input,
        request: describe(req),
        reproduction: reproduction(req, REPRO_PORT),
      });
  };

  // Crash watch: `generation` counts restarts; a request that straddles one was cut by the
  // crash and is a replay candidate, not a finding of its own.
  let generation = 0;
  let ready: Promise<void> = Promise.resolve();
  let stopping = false;
  let replays = 0;
  let replaying = false;
  const inFlight = new Map<number, WireRequest[]>();

  try {
    const world = await createWorld(server.url);
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    const ctx: FuzzContext = {
      doc,
      routes: routesOf(doc),
      world,
      seeds: seedBodies(world, Date.now()),
      now: Date.now(),
    };
    const publicBase = `http://localhost:${new URL(server.url).port}`;

    /** Sends a request and its follow-ups; returns findings, or null if a crash cut it. */
    const exercise = async (routeTemplate: string, req: WireRequest, input: number | null) => {
      const gen = generation;
      const srv = server;
      const port = Number(new URL(srv.url).port);
      // A connection cut by a dying process fails before its exit is seen: wait for the exit
      // (bounded), so the input stays in flight for the crash's replay, not a finding itself.
      const cutByCrash = async (o: WireOutcome) => {
        if (!o.ok) await Promise.race([srv.exited, new Promise((r) => setTimeout(r, 1000))]);
        return gen !== generation || !srv.alive;
      };
      const out = await send(port, req);
      requests++;
      if (await cutByCrash(out)) return null;
      tally(req, out);
      for (const f of await check(routeTemplate, req, out, targets)) {
        if (f.kind === "5xx") f.detail += ` | server log: ${lastError(srv)}`;
        record(f, input, req);
      }
      if (!out.ok || out.res.status >= 300 || !/json/.test(out.res.headers.get("content-type") ?? ""))
        return out;
      for (const path of followUps(out.res.body, publicBase).slice(0, FOLLOW_UPS)) {
        const follow: WireRequest = {
          method: "GET",
          target: path,
          headers: [["User-Agent", "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0"]],
        };
        inFlight.get(input ?? -1)?.push(follow);
        const o = await send(port, follow);
        requests++;
        if (await cutByCrash(o)) return null;
        tally(follow, o);
        const template = path.startsWith("/c/")
          ? "/c/{linkId}"
          : path.startsWith("/i/")
            ? "/i/{blockId}.{ext}"
            : path;
        for (const f of await check(`${template} (followed from ${routeTemplate})`, follow, o, targets))
          record(f, input, req);
      }
      return out;
    };

    const onCrash = async (dead: RunningServer) => {
      const exit = await dead.exited;
      if (stopping || replaying || dead !== server) return;
      const candidates = [...inFlight.entries()];
      generation++;
      const said = crashLine(dead.output());
      log(
        `  server exited (${exit.code ?? exit.signal}) with ${candidates.length} inputs in flight: ${said}`,
      );
      const restart = async () => {
        server = await startServer({ dataDir, env, fromSource: opts.fromSource });
        targets.reopen();
        void onCrash(server);
      };
      ready = (async () => {
        await restart();
        let culprit: WireRequest[] | null = null;
        let culpritInput: number | null = null;
        if (replays++ < MAX_CRASH_REPLAYS) {
          replaying = true;
          for (const [input, reqs] of candidates) {
            const cand = server;
            // Twice: the first pass may only warm a cache that the second then goes through
            // (a link is answered by the fast path once it is in memory).
            for (const r of [...reqs, ...reqs]) if (cand.alive) await send(Number(new URL(cand.url).port), r);
            await new Promise((r) => setTimeout(r, 300));
            if (!cand.alive) {
              culprit = reqs;
              culpritInput = input;
              await restart();
              break;
            }
          }
          replaying = false;
        }
        const shown = culprit ?? candidates.flatMap(([, r]) => r);
        const req = shown[0] ?? { method: "?", target: "?", headers: [] };
        record(
          {
            kind: "crash",
            signature: `crash: ${said}`,
            detail: culprit
              ? `reproduced alone by input ${culpritInput}: ${shown.map(describe).join(" ; then ")}`
              : `not reproduced alone; in flight: ${shown.map(describe).join(" ; ")}`,
          },
          culpritInput,
          req,
        );
        const f = bySignature.get(`crash: ${said}`)!;
        if (culprit && f.count === 1)
          f.reproduction = culprit.map((r) => reproduction(r, REPRO_PORT)).join(" ; ");
      })();
    };
    void onCrash(server);

    // Each seed as is: a refusal of its shape means the seed (or the route) changed. (A 403
    // is the feed import's: no host is allowed to be fetched here, loopback never is.)
    const seedsRefused: string[] = [];
    for (const s of seedInputs(ctx)) {
      if (!s.route) {
        seedsRefused.push(`${s.key}: no such route in the OpenAPI document`);
        continue;
      }
      const out = await exercise(s.route.path, s.req, null);
      if (out?.ok && [400, 401, 404, 405, 415, 422].includes(out.res.status)) {
        seedsRefused.push(`${s.key} → ${out.res.status} ${out.res.body.subarray(0, 200).toString("utf8")}`);
      }
      await ready;
    }
    const rssBefore = server.rss();

    const indices = opts.only !== undefined ? [opts.only] : Array.from({ length: opts.n }, (_, i) => i);
    const deadline = t0 + (opts.maxSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    let next = 0;
    const hit = new Set<string>();
    let lastLog = performance.now();
    const worker = async () => {
      for (;;) {
        await ready;
        if (next >= indices.length || performance.now() >= deadline) return;
        const i = indices[next++]!;
        const input = buildInput(ctx, opts.seed, i);
        hit.add(`${input.route.method} ${input.route.path}`);
        inFlight.set(i, [input.req]);
        await exercise(input.route.path, input.req, i);
        inFlight.delete(i);
        inputs++;
        if (performance.now() - lastLog > 15_000) {
          lastLog = performance.now();
          log(`  ${inputs}/${indices.length} inputs, ${bySignature.size} distinct findings`);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 6 }, worker));
    await ready;
    const rssAfter = server.rss();
    // Idle a while: what is still held then is held for good.
    await new Promise((r) => setTimeout(r, 5000));
    const rssSettled = server.rss();
    stopping = true;
    const exit = await server.stop();
    if (exit.code !== 0) log(`  graceful stop exited ${exit.code ?? exit.signal}`);
    return {
      seed: opts.seed,
      routes: ctx.routes.length,
      routesHit: hit.size,
      inputs,
      requests,
      seconds: Math.round((performance.now() - t0) / 1000),
      statuses,
      checked,
      counts,
      findings: [...bySignature.values()].sort((a, b) => a.kind.localeCompare(b.kind) || b.count - a.count),
      seedsRefused,
      rssBeforeMb: mb(rssBefore),
      rssAfterMb: mb(rssAfter),
      rssSettledMb: mb(rssSettled),
    };
  } finally {
    stopping = true;
    await server.kill9();
    targets.close();
    await weather.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
