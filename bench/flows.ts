import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { definitionSchema } from "../src/core/flows/definition.js";
import { FlowEngine } from "../src/core/flows/engine.js";
import type { RunRecord } from "../src/core/ports/flows.js";
import { createMemorySignals } from "../src/core/signals/memory-signals.js";
import { SqliteFlowStore } from "../src/node/sqlite/flow-store.js";
import { openDatabase } from "../src/node/sqlite/store.js";
import { BENCH_API_KEY, type LoadResult, load, medianRound, report, spawnOpentime } from "./lib.js";

const WRITE_KEY = "bench-write-key-0123456789";
const auth = { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" };
const basic = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString("base64")}`;

/**
 * Flows (issue 21), three figures:
 * 1. timers: BENCH_TIMERS (100,000) runs due in the same second, on SQLite, claimed and handed
 *    to a Messenger that accepts at once (in process): target < 10 s.
 * 2. latency: an event accepted over HTTP → the flow's email accepted by a local SMTP server,
 *    with BENCH_WAITING (10,000) runs waiting: p99 target < 1 s.
 * 3. the redirect's and ingest's throughput on that server against a server without flows,
 *    alternated in the same run: target ≥ 0.9x.
 */
export async function benchFlows() {
  const timers = await benchTimers(Number(process.env.BENCH_TIMERS ?? 100_000));
  const rest = await benchServer();
  report("flows", rest.rows, { ...timers, ...rest.summary });
}

export async function benchTimers(n: number) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "opentime-bench-flows-")), "flows.db"));
  const store = new SqliteFlowStore(db);
  const T = Date.UTC(2026, 0, 5, 11, 0);
  const definition = definitionSchema.parse({
    name: "Due",
    trigger: { type: "event", name: "x" },
    start: "send",
    steps: [
      { id: "send", type: "send", template: "t", next: "done" },
      { id: "done", type: "exit" },
    ],
  });
  store.putFlow({
    id: "due",
    version: 1,
    status: "active",
    builtin: null,
    definition,
    createdAt: T,
    updatedAt: T,
  });
  const t0 = performance.now();
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const run: RunRecord = {
        id: `run_${i}`,
        flowId: "due",
        version: 1,
        profileId: `p${i}`,
        status: "active",
        stepId: "send",
        wakeAt: T + (i % 1000),
        waitingFor: null,
        data: { trigger: { type: "event", name: "x", properties: { i } }, phase: "busy" },
        startedAt: T - 60_000,
        updatedAt: T - 60_000,
      };
      store.insertRun(run);
    }
  })();
  const insertMs = Math.round(performance.now() - t0);
  let handed = 0;
  const engine = new FlowEngine({
    store,
    signals: createMemorySignals(),
    clock: { now: () => T + 1000 },
    random: (k) => crypto.getRandomValues(new Uint8Array(k)),
    logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
    profiles: { find: async () => null },
    messenger: {
      async send() {
        handed++;
        return { status: "accepted", attemptId: "a", channel: "email" };
      },
      bestTime: async (_p, after) => after,
    },
  });
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  await engine.tick();
  await engine.idle();
  const ms = Math.round(performance.now() - t1);
  const cpu = process.cpuUsage(cpu0);
  db.close();
  return {
    timers: n,
    timersInsertMs: insertMs,
    timersHandedToChannel: handed,
    timersAllHandedMs: ms,
    timersCpuUsPerRun: +((cpu.user + cpu.system) / n).toFixed(1),
    timersTargetMs: 10_000,
  };
}

async function benchServer() {
  const waiting = Number(process.env.BENCH_WAITING ?? 10_000);
  const samples = Number(process.env.BENCH_LATENCY_SENDS ?? 200);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

  // The SMTP server in this process: each message's arrival time, by recipient.
  const arrived = new Map<string, number>();
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      stream.on("data", () => {});
      stream.on("end", () => {
        for (const r of session.envelope.rcptTo) arrived.set(r.address, performance.now());
        callback();
      });
    },
  });
  await new Promise<void>((res) => smtp.listen(0, "127.0.0.1", () => res()));
  const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  const env = {
    OPENTIME_WRITE_KEY: WRITE_KEY,
    SMTP_URL: smtpUrl,
    OPENTIME_MAIL_FROM: "hi@shop.example",
    OPENTIME_SEND_QUIET_HOURS: "off",
    OPENTIME_SEND_CAPS: JSON.stringify({ email: { hour: 1000, day: 1000, week: 1000 } }),
  };
  const flows = await spawnOpentime(env);
  const plain = await spawnOpentime(env);
  const post = (url: string, path: string, body: unknown, authz = auth) =>
    fetch(`${url}${path}`, { method: "POST", headers: authz, body: JSON.stringify(body) });
  const batch = async (url: string, events: object[]) => {
    for (let i = 0; i < events.length; i += 100) {
      const res = await post(
        url,
        "/v1/batch",
        { batch: events.slice(i, i + 100) },
        {
          authorization: basic,
          "content-type": "application/json",
        },
      );
      if (res.status !== 200) throw new Error(`batch: ${res.status} ${await res.text()}`);
    }
  };

  try {
    await post(flows.url, "/v1/templates", { id: "go", name: "Go", subject: "Go {{ event.i }}", text: "go" });
    await post(flows.url, "/v1/flows", {
      id: "go",
      name: "Go",
      trigger: { type: "event", name: "Go" },
      start: "send",
      steps: [
        { id: "send", type: "send", template: "go", next: "done" },
        { id: "done", type: "exit" },
      ],
    });
    await post(flows.url, "/v1/flows", {
      id: "hold",
      name: "Hold",
      trigger: { type: "event", name: "Hold" },
      goal: { event: "Order Completed" },
      start: "wait",
      steps: [
        {
          id: "wait",
          type: "wait_for",
          event: "Product Added",
          timeout: { days: 7 },
          next: "done",
          timeoutNext: "done",
        },
        { id: "done", type: "exit" },
      ],
    });
    // The waiting runs: people who entered a flow that waits a week.
    const holds = [];
    for (let i = 0; i < waiting; i++) holds.push({ type: "track", userId: `h${i}`, event: "Hold" });
    const tw = performance.now();
    await batch(flows.url, holds);
    let stats = { flow: { waiting: 0 } };
    while (stats.flow.waiting < waiting && performance.now() - tw < 120_000) {
      await new Promise((r) => setTimeout(r, 250));
      stats = (await (
        await fetch(`${flows.url}/v1/flows/hold/stats`, { headers: auth })
      ).json()) as typeof stats;
    }
    const waitingMs = Math.round(performance.now() - tw);

    // Latency: one person at a time, event accepted → email accepted.
    const people = [];
    for (let i = 0; i < samples; i++)
      people.push({ type: "identify", userId: `g${i}`, traits: { email: `g${i}@x.com` } });
    await batch(flows.url, people);
    await new Promise((r) => setTimeout(r, 500));
    const lat: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const res = await post(
        flows.url,
        "/v1/track",
        { userId: `g${i}`, event: "Go", properties: { i } },
        {
          authorization: basic,
          "content-type": "application/json",
        },
      );
      if (res.status !== 200) throw new Error(`track: ${res.status}`);
      const to = `g${i}@x.com`;
      while (!arrived.has(to) && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 2));
      lat.push((arrived.get(to) ?? Number.POSITIVE_INFINITY) - t0);
    }
    lat.sort((a, b) => a - b);
    const pct = (p: number) => +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1);

    // Throughput: the redirect and ingest, with and without the waiting runs, alternated.
    const linkOn = async (url: string) =>
      (
        (await (
          await post(url, "/v1/links", { url: "https://shop.example/x", campaign: "bench" })
        ).json()) as { id: string }
      ).id;
    const links = { flows: await linkOn(flows.url), plain: await linkOn(plain.url) };
    const ingestBody = (i: number) =>
      JSON.stringify({
        batch: Array.from({ length: 20 }, (_, k) => ({
          type: "track",
          userId: `h${(i * 20 + k) % waiting}`,
          event: "Product Viewed",
          properties: { product_id: `sku${k}` },
        })),
      });
    const runs: Record<string, LoadResult[]> = { rf: [], rp: [], if: [], ip: [] };
    const common = { connections: 8, seconds, warmup: 1 };
    for (let r = 0; r < rounds; r++) {
      runs.rp!.push(
        await load("redirect, no flows", plain.url, {
          ...common,
          path: (i) => `/c/${links.plain}?u=r${i % 5000}%40x.com`,
          pid: plain.child.pid,
        }),
      );
      runs.rf!.push(
        await load(`redirect, ${waiting} waiting runs`, flows.url, {
          ...common,
          path: (i) => `/c/${links.flows}?u=r${i % 5000}%40x.com`,
          pid: flows.child.pid,
        }),
      );
      const ingest = (name: string, url: string, pid: number | undefined) => {
        let i = 0;
        return loadPost(name, url, common.connections, seconds, () => ingestBody(i++), pid);
      };
      runs.ip!.push(await ingest("ingest, no flows", plain.url, plain.child.pid));
      runs.if!.push(await ingest(`ingest, ${waiting} waiting runs`, flows.url, flows.child.pid));
    }
    const row = (k: string) => medianRound(runs[k]!);
    const rows = [row("rp"), row("rf"), row("ip"), row("if")];
    return {
      rows,
      summary: {
        waitingRuns: waiting,
        waitingSetupMs: waitingMs,
        latencySamples: samples,
        latencyP50Ms: pct(0.5),
        latencyP99Ms: pct(0.99),
        latencyTargetP99Ms: 1000,
        redirectRatio: +(rows[1]!.rps / rows[0]!.rps).toFixed(3),
        ingestRatio: +(rows[3]!.rps / rows[2]!.rps).toFixed(3),
        throughputTarget: 0.9,
      },
    };
  } finally {
    await flows.stop();
    await plain.stop();
    smtp.close();
  }
}

/** POST load with a body per request (autocannon through lib's load() takes GET paths only). */
async function loadPost(
  name: string,
  url: string,
  connections: number,
  seconds: number,
  body: () => string,
  pid?: number,
): Promise<LoadResult> {
  const autocannon = (await import("autocannon")).default;
  const { threadCpu } = await import("./lib.js");
  const before = pid ? threadCpu(pid) : null;
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        path: "/v1/batch",
        headers: { "content-type": "application/json", authorization: basic },
        setupRequest: (req) => ({ ...req, body: body() }),
      },
    ],
  });
  let us = 0;
  if (before && pid) for (const [tid, t] of threadCpu(pid)) us += t - (before.get(tid) ?? 0);
  return {
    name,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx3xx: r.non2xx,
    requests: r.requests.total,
    ...(pid && r.requests.total
      ? { mainUs: +(us / r.requests.total).toFixed(1), otherUs: 0, clientUs: 0 }
      : {}),
  } as LoadResult;
}
