import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { report, spawnOpentime, threadCpu } from "./lib.js";

/**
 * Segment ingestion: POST /v1/batch with 100 realistic e-commerce events per request,
 * each acknowledged only once durable with its profile updated (group commit).
 * Baseline, same run: raw better-sqlite3 inserts of the same rows (the profile_events
 * table, WAL, synchronous=FULL) in transactions of 100, in-process — the cost of the
 * bytes on disk alone, without HTTP, validation, identity or profiles.
 * Target: ≥ 20,000 events/s, p99 < 50 ms per batch.
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
  db.exec(`CREATE TABLE profile_events (seq INTEGER PRIMARY KEY, profile_id TEXT NOT NULL, message_id TEXT NOT NULL,
    type TEXT NOT NULL, event TEXT, at INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL) STRICT;
    CREATE INDEX profile_events_profile ON profile_events(profile_id);`);
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

/**
 * Two load levels, same server: 4 concurrent senders (the operating point the targets are
 * judged at: a batch's latency is its queue plus its group commit, so by Little's law p99
 * grows with the batches in flight), then 16 (saturation: the most the writer thread does,
 * reported, with its longer p99). BENCH_CONNECTIONS replaces the first.
 */
export async function benchIngest(seconds = Number(process.env.BENCH_SECONDS ?? 10)) {
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 4);
  const saturation = 16;
  const bodies = templates();
  const rawEventsPerSec = baseline(bodies, Math.min(seconds, 5));

  const ot = await spawnOpentime({ OPENTIME_WRITE_KEY: WRITE_KEY });
  let run = 0;
  // Rounds of the templates, counted across runs so every run's visits are later still.
  let sent = 0;
  const fire = (duration: number, conns = connections, inOrder = true) => {
    let i = 0;
    const r = run++;
    return autocannon({
      url: ot.url,
      connections: conns,
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
  // The server's CPU (all its threads) over a run, µs: per event it is a figure the other
  // work on a shared machine moves less than events/s.
  const cpuOver = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const total = () => [...threadCpu(ot.child.pid!).values()].reduce((a, b) => a + b, 0);
    const before = total();
    const out = await run();
    return [out, total() - before];
  };
  const perEvent = (cpuUs: number, batches: number) =>
    batches ? +(cpuUs / (batches * BATCH)).toFixed(1) : null;
  await fire(2); // warm-up (JIT, page cache), discarded
  const [res, resCpu] = await cpuOver(() => fire(seconds));
  const ok = res.statusCodeStats?.["200"]?.count ?? 0;
  const satSeconds = Math.max(3, Math.round(seconds / 2));
  const [sat, satCpu] = await cpuOver(() => fire(satSeconds, saturation));
  const satOk = sat.statusCodeStats?.["200"]?.count ?? 0;
  // Last (it leaves profiles to rebuild behind it): the same load with visits overlapping.
  const [late, lateCpu] = await cpuOver(() => fire(satSeconds, connections, false));
  const lateOk = late.statusCodeStats?.["200"]?.count ?? 0;
  // Every acknowledged event must be on disk with its profile: count them in the file.
  await ot.stop();
  const db = new Database(join(ot.dataDir, "opentime.db"), { readonly: true });
  const stored = db.prepare("SELECT COUNT(*) FROM profile_events").pluck().get() as number;
  const profiles = db.prepare("SELECT COUNT(*) FROM profiles").pluck().get() as number;
  db.close();
  rmSync(ot.dataDir, { recursive: true, force: true });

  const eventsPerSec = Math.round((ok * BATCH) / seconds);
  const satEventsPerSec = Math.round((satOk * BATCH) / satSeconds);
  const lateEventsPerSec = Math.round((lateOk * BATCH) / satSeconds);
  const rows = [
    { name: "raw better-sqlite3 tx of 100 (in-process)", eventsPerSec: rawEventsPerSec },
    {
      name: "opentime POST /v1/batch (100 events)",
      eventsPerSec,
      cpuUsPerEvent: perEvent(resCpu, ok),
      batchesPerSec: Math.round(ok / seconds),
      p50: res.latency.p50,
      p99: res.latency.p99,
      errors: res.errors + res.timeouts,
      non200: res.non2xx,
    },
    {
      name: `same, ${saturation} connections (saturation)`,
      eventsPerSec: satEventsPerSec,
      cpuUsPerEvent: perEvent(satCpu, satOk),
      batchesPerSec: Math.round(satOk / satSeconds),
      p50: sat.latency.p50,
      p99: sat.latency.p99,
      errors: sat.errors + sat.timeouts,
      non200: sat.non2xx,
    },
    {
      name: `same, ${connections} connections, visits overlapping in time (rebuilds)`,
      eventsPerSec: lateEventsPerSec,
      cpuUsPerEvent: perEvent(lateCpu, lateOk),
      batchesPerSec: Math.round(lateOk / satSeconds),
      p50: late.latency.p50,
      p99: late.latency.p99,
      errors: late.errors + late.timeouts,
      non200: late.non2xx,
    },
  ];
  const summary = {
    connections,
    seconds,
    eventsPerSec,
    p99ms: res.latency.p99,
    cpuUsPerEvent: perEvent(resCpu, ok),
    ratioToRaw: +(eventsPerSec / rawEventsPerSec).toFixed(3),
    saturation: { connections: saturation, eventsPerSec: satEventsPerSec, p99ms: sat.latency.p99 },
    overlapping: {
      eventsPerSec: lateEventsPerSec,
      p99ms: late.latency.p99,
      cpuUsPerEvent: perEvent(lateCpu, lateOk),
    },
    storedEvents: stored,
    profiles,
    // Warm-up batches are stored too, so the file holds at least what the timed run acknowledged.
    allAcknowledgedStored: stored >= (ok + satOk + lateOk) * BATCH,
    targets: { eventsPerSec: 20_000, p99ms: 50 },
  };
  report("ingest", rows, summary);
  return summary;
}
