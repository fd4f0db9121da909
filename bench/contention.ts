import autocannon from "autocannon";
import { BENCH_API_KEY, report, spawnOpentime } from "./lib.js";

/**
 * Segment ingest while a big send opens: POST /v1/track latency (4 senders, one event per
 * request, each acknowledged once durable) while clicks of new people arrive at a fixed
 * rate (a million-recipient send: every click someone new, so the email-activity fold has
 * the most people to write). Baseline, same run, same server: the same senders with no
 * clicks. The clicks and the Segment events commit on two threads to one SQLite file, so
 * this measures how long each waits for the other's write lock. No target in the issues;
 * the ingest target elsewhere is p99 < 50 ms. Beside the senders, one operator registers a
 * link every 20 ms (POST /v1/links): a write on the main thread's connection, which every
 * click in flight waits out while it waits for the lock.
 */
const WRITE_KEY = "bench-write-key-contention-01";
const SENDERS = 4;

async function ingestLatencies(url: string, ms: number): Promise<number[]> {
  const auth = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString("base64")}`;
  const lat: number[] = [];
  const end = Date.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, k) => {
      while (Date.now() < end) {
        const t = performance.now();
        const res = await fetch(`${url}/v1/track`, {
          method: "POST",
          headers: { authorization: auth, "content-type": "application/json" },
          body: JSON.stringify({
            userId: `u${k}-${n++}`,
            event: "Product Viewed",
            properties: { product_id: "p1" },
          }),
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
        lat.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );
  return lat.sort((a, b) => a - b);
}

/** One operator registering a new link every 20 ms; latencies in ms, sorted. */
async function linkLatencies(url: string, ms: number): Promise<number[]> {
  const lat: number[] = [];
  const end = Date.now() + ms;
  for (let n = 0; Date.now() < end; n++) {
    const t = performance.now();
    const res = await fetch(`${url}/v1/links`, {
      method: "POST",
      headers: { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ url: `https://shop.example/p/${Date.now()}-${n}`, campaign: "bench-links" }),
    });
    await res.arrayBuffer();
    if (res.status !== 201 && res.status !== 200) throw new Error(`links answered ${res.status}`);
    lat.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  return lat.sort((a, b) => a - b);
}

const q = (xs: number[], p: number) => +xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!.toFixed(1);

export async function benchContention(
  seconds = Number(process.env.BENCH_SECONDS ?? 12),
  rate = Number(process.env.BENCH_CLICK_RATE ?? 12_000),
) {
  const ot = await spawnOpentime({ OPENTIME_WRITE_KEY: WRITE_KEY });
  try {
    const created = await fetch(`${ot.url}/v1/links`, {
      method: "POST",
      headers: { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://shop.example/landing", campaign: "bench" }),
    });
    const { id } = (await created.json()) as { id: string };
    const [quiet, linksQuiet] = await Promise.all([
      ingestLatencies(ot.url, seconds * 1000),
      linkLatencies(ot.url, seconds * 1000),
    ]);
    let i = 0;
    const storm = autocannon({
      url: ot.url,
      connections: 50,
      duration: seconds + 3,
      overallRate: rate,
      headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36" },
      requests: [
        { method: "GET", setupRequest: (r) => ({ ...r, path: `/c/${id}?u=r${i++}%40example.com` }) },
      ],
    });
    // Past the storm's first fold window before measuring.
    await new Promise((r) => setTimeout(r, 3_000));
    const [busy, linksBusy] = await Promise.all([
      ingestLatencies(ot.url, seconds * 1000),
      linkLatencies(ot.url, seconds * 1000),
    ]);
    const clicks = await storm;
    const row = (name: string, xs: number[]) => ({
      name,
      requests: xs.length,
      p50: q(xs, 0.5),
      p99: q(xs, 0.99),
      max: +xs[xs.length - 1]!.toFixed(1),
    });
    const rows = [
      row("ingest alone", quiet),
      row(`ingest during ${rate} clicks/s`, busy),
      row("link registration alone", linksQuiet),
      row(`link registration during ${rate} clicks/s`, linksBusy),
    ];
    const summary = {
      clickRate: Math.round(clicks.requests.average),
      clickP99ms: clicks.latency.p99,
      ingestP99ms: { alone: rows[0]!.p99, duringClicks: rows[1]!.p99 },
      ingestMaxMs: { alone: rows[0]!.max, duringClicks: rows[1]!.max },
      linkP99ms: { alone: rows[2]!.p99, duringClicks: rows[3]!.p99 },
      linkMaxMs: { alone: rows[2]!.max, duringClicks: rows[3]!.max },
    };
    report("contention", rows, summary);
    return summary;
  } finally {
    await ot.stop();
  }
}
