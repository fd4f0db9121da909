import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { report, spawnOpentime, spawnParseOnly, threadCpu } from "./lib.js";

/**
 * Segment ingestion: POST /v1/batch with 100 realistic e-commerce events per request, each
 * acknowledged only once durable with its profile updated. Two batch shapes:
 * - `sessions`: 10 people per batch, 10 events each (a visit);
 * - `sdk`: 100 people per batch, one event each (what a server-side SDK flushing a busy
 *   site sends).
 * Baselines, same run, per shape: raw better-sqlite3 inserts of the same rows (the
 * profile_events table, with opentime's durability pragmas) in transactions of 100,
 * in-process; and the parse-only server (bench/parse-only-server.ts: the same request path
 * and JSON validation, nothing stored) under the same load.
 * Targets (sdk shape, 20 connections): events/s >= 0.5x raw; p99 per batch <= 3x parse-only.
 */
const WRITE_KEY = "bench-write-key-0123456789";
const USERS = 5_000;
const BATCH = 100;

const shoe = (n: number) => ({
  product_id: `sku-${n % 500}`,
  sku: `S-${n % 500}`,
  category: ["Shoes", "Hats", "Bags", "Socks"][n % 4],
  name: `Product ${n % 500}`,
  brand: "Gamma",
  price: 10 + (n % 90),
  quantity: 1,
  currency: "USD",
  url: `https://shop.example/p/${n % 500}`,
});

/** One visit of 10 events: browse, view, add, checkout, sometimes an order. */
function session(user: number, t0: number): object[] {
  const ids = { userId: `user-${user}`, anonymousId: `anon-${user}` };
  const p = shoe(user);
  const evs: [string, string | null, object][] = [
    ["page", null, { path: "/", title: "Home" }],
    ["track", "Products Searched", { query: "shoes" }],
    ["track", "Product List Viewed", { list_id: "hot", category: p.category, products: [p, shoe(user + 1)] }],
    ["track", "Product Viewed", p],
    ["track", "Product Viewed", shoe(user + 7)],
    ["track", "Product Added", { cart_id: `cart-${user}`, ...p }],
    ["track", "Cart Viewed", { cart_id: `cart-${user}`, products: [p] }],
    [
      "track",
      "Checkout Started",
      { order_id: `o-${user}`, value: p.price, revenue: p.price, currency: "USD", products: [p] },
    ],
    ["track", "Payment Info Entered", { checkout_id: `chk-${user}`, order_id: `o-${user}`, step: 2 }],
    user % 3 === 0
      ? [
          "track",
          "Order Completed",
          {
            order_id: `o-${user}`,
            total: p.price + 5,
            revenue: p.price,
            shipping: 5,
            currency: "USD",
            products: [p],
          },
        ]
      : ["identify", null, { email: `user-${user}@example.com`, plan: "free" }],
  ];
  return evs.map(([type, event, props], i) => ({
    type,
    ...ids,
    ...(event ? { event } : {}),
    ...(type === "identify" ? { traits: props } : { properties: props }),
    messageId: `__R__-${user}-${i}`,
    timestamp: new Date(t0 + i * 1000).toISOString(),
    context: { library: { name: "@segment/analytics-node", version: "2.1.2" }, ip: "203.0.113.9" },
  }));
}

const T0 = Date.now() - 60_000;
/** The batches' `sentAt` as templated; replaced per request to move the events in time. */
const SENT_AT = new Date(T0 + 20_000).toISOString();

/**
 * 200 distinct batch bodies; `__R__` is replaced per request so every messageId is new.
 * Each person is in at most one body, so a round of the 200 is everyone's next visit.
 */
export function templates(): string[] {
  const out: string[] = [];
  for (let b = 0; b < 200; b++) {
    const batch: object[] = [];
    for (let s = 0; s < BATCH / 10; s++) batch.push(...session((b * 37 + s * 501) % USERS, T0));
    out.push(JSON.stringify({ batch, sentAt: SENT_AT }));
  }
  return out;
}

/** People in the SDK shape: a round of the 200 bodies is 10 events for each of them. */
const SDK_USERS = 2_000;

/**
 * The SDK shape: 200 bodies of 100 events from 100 different people each. Event n of the
 * round is person n % SDK_USERS's event n / SDK_USERS of their visit (session()), so
 * every person's visit arrives in order, one event per batch.
 */
export function sdkTemplates(): string[] {
  const visits = new Map<number, object[]>();
  const visit = (u: number) => {
    let v = visits.get(u);
    if (!v) {
      v = session(u, T0);
      visits.set(u, v);
    }
    return v;
  };
  const out: string[] = [];
  for (let b = 0; b < 200; b++) {
    const batch: object[] = [];
    for (let j = 0; j < BATCH; j++) {
      const n = b * BATCH + j;
      batch.push(visit(n % SDK_USERS)[Math.floor(n / SDK_USERS) % 10]!);
    }
    out.push(JSON.stringify({ batch, sentAt: SENT_AT }));
  }
  return out;
}

/**
 * `sentAt` for a round of the templates. An event's time is receivedAt − (sentAt −
 * timestamp) (clock-skew correction), so with `inOrder` each round claims to be sent 10 s
 * earlier and every person's next visit comes 10 s later than their last one (as a
 * person's events reach a server: their own later events later). Without it every round
 * repeats the same times: a visit arriving within ~9 s of the person's previous one
 * overlaps it, so its events are older than what the profile has applied and each such
 * batch rebuilds its people from their stored events (src/core/profiles/replay.ts).
 */
const sentAtOf = (round: number, inOrder: boolean) =>
  inOrder ? new Date(T0 + 20_000 - round * 10_000).toISOString() : SENT_AT;

/** Raw inserts of the same rows in transactions of 100: the floor opentime is compared to. */
function baseline(bodies: string[], seconds: number): number {
  const dir = mkdtempSync(join(tmpdir(), "opentime-bench-raw-"));
  const db = new Database(join(dir, "raw.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("secure_delete = ON");
  db.exec(`CREATE TABLE profile_events (seq INTEGER PRIMARY KEY, profile_id TEXT NOT NULL, message_id TEXT NOT NULL,
    type TEXT NOT NULL, event TEXT, at INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL) STRICT;
    CREATE INDEX profile_events_profile_at ON profile_events(profile_id, at);`);
  const ins = db.prepare(
    "INSERT INTO profile_events (profile_id, message_id, type, event, at, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const rows = bodies.map((b) =>
    (JSON.parse(b.replaceAll("__R__", "x")).batch as Record<string, string>[]).map((e) => [
      e.userId!,
      e.messageId!,
      e.type!,
      e.event ?? null,
      Date.parse(e.timestamp!),
      Date.now(),
      JSON.stringify(e),
    ]),
  );
  const tx = db.transaction((batch: unknown[][]) => {
    for (const r of batch) ins.run(...r);
  });
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    tx(rows[n % rows.length]!);
    n++;
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return Math.round((n * BATCH) / seconds);
}

/** A server's CPU (all its threads) over `run`, µs. */
async function cpuOver<T>(pid: number, run: () => Promise<T>): Promise<[T, number]> {
  const total = () => [...threadCpu(pid).values()].reduce((a, b) => a + b, 0);
  const before = total();
  const out = await run();
  return [out, total() - before];
}

/** Load of one body list on one server; `__R__` and `sentAt` replaced per request. */
function loader(url: string, bodies: string[]) {
  let run = 0;
  // Rounds of the templates, counted across runs so every run's visits are later still.
  let sent = 0;
  return (duration: number, connections: number, inOrder = true) => {
    let i = 0;
    const r = run++;
    return autocannon({
      url,
      connections,
      duration,
      requests: [
        {
          method: "POST",
          path: "/v1/batch",
          headers: {
            "content-type": "application/json",
            authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString("base64")}`,
          },
          setupRequest: (req) => ({
            ...req,
            body: bodies[i % bodies.length]!.replaceAll("__R__", `${r}.${i++}`).replace(
              SENT_AT,
              sentAtOf(Math.floor(sent++ / bodies.length), inOrder),
            ),
          }),
        },
      ],
    });
  };
}

type Result = autocannon.Result;
const okOf = (r: Result) => r.statusCodeStats?.["200"]?.count ?? 0;
function row(name: string, r: Result, cpuUs: number | null, seconds: number) {
  const ok = okOf(r);
  return {
    name,
    eventsPerSec: Math.round((ok * BATCH) / seconds),
    batchesPerSec: Math.round(ok / seconds),
    cpuMsPerBatch: cpuUs !== null && ok ? +(cpuUs / ok / 1000).toFixed(2) : null,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non200: r.non2xx,
  };
}

/**
 * Per shape: the raw floor, the parse-only server and opentime at the same connections
 * (BENCH_CONNECTIONS, default 20: a busy site's SDK flushes in parallel); for the sessions
 * shape also opentime with visits overlapping in time (every batch rebuilds its people).
 */
export async function benchIngest(seconds = Number(process.env.BENCH_SECONDS ?? 8)) {
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
  const shapes = { sessions: templates(), sdk: sdkTemplates() };
  const rows: object[] = [];
  const summary: Record<string, unknown> = { connections, seconds };
  for (const [shape, bodies] of Object.entries(shapes)) {
    const rawEventsPerSec = baseline(bodies, Math.min(seconds, 5));
    rows.push({ name: `${shape}: raw better-sqlite3 tx of 100 (in-process)`, eventsPerSec: rawEventsPerSec });

    const po = await spawnParseOnly({ OPENTIME_WRITE_KEY: WRITE_KEY });
    const poFire = loader(po.url, bodies);
    await poFire(2, connections);
    const [poRes, poCpu] = await cpuOver(po.child.pid!, () => poFire(seconds, connections));
    await po.stop();
    const poRow = row(`${shape}: parse-only server`, poRes, poCpu, seconds);
    rows.push(poRow);

    const ot = await spawnOpentime({ OPENTIME_WRITE_KEY: WRITE_KEY });
    const fire = loader(ot.url, bodies);
    await fire(2, connections); // warm-up (JIT, page cache), discarded
    const [res, resCpu] = await cpuOver(ot.child.pid!, () => fire(seconds, connections));
    const otRow = row(`${shape}: opentime POST /v1/batch`, res, resCpu, seconds);
    rows.push(otRow);
    let acknowledged = okOf(res);
    if (shape === "sessions") {
      // Last (it leaves profiles to rebuild behind it): the same load with visits overlapping.
      const lateSeconds = Math.max(3, Math.round(seconds / 2));
      const [late, lateCpu] = await cpuOver(ot.child.pid!, () => fire(lateSeconds, connections, false));
      rows.push(row(`${shape}: same, visits overlapping in time (rebuilds)`, late, lateCpu, lateSeconds));
      acknowledged += okOf(late);
    }
    // Every acknowledged event must be on disk with its profile: count them in the file.
    await ot.stop();
    const db = new Database(join(ot.dataDir, "opentime.db"), { readonly: true });
    const stored = db.prepare("SELECT COUNT(*) FROM profile_events").pluck().get() as number;
    const profiles = db.prepare("SELECT COUNT(*) FROM profiles").pluck().get() as number;
    db.close();
    rmSync(ot.dataDir, { recursive: true, force: true });
    summary[shape] = {
      eventsPerSec: otRow.eventsPerSec,
      ratioToRaw: +(otRow.eventsPerSec / rawEventsPerSec).toFixed(3),
      p99ms: otRow.p99,
      p99RatioToParseOnly: +(otRow.p99 / Math.max(1, poRow.p99)).toFixed(2),
      cpuMsPerBatch: otRow.cpuMsPerBatch,
      parseOnlyCpuMsPerBatch: poRow.cpuMsPerBatch,
      storedEvents: stored,
      profiles,
      // Warm-up batches are stored too, so the file holds at least what the timed runs acknowledged.
      allAcknowledgedStored: stored >= acknowledged * BATCH,
    };
  }
  summary.targets = { sdk: { ratioToRaw: ">= 0.5", p99RatioToParseOnly: "<= 3" } };
  report("ingest", rows, summary);
  return summary;
}
