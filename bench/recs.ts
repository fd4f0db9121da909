import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { RenderCache } from "../src/core/blocks/byte-cache.js";
import type { OpenContext } from "../src/core/blocks/kinds.js";
import { PriceBlocks } from "../src/core/cards/price-block.js";
import type { RecsDelta } from "../src/core/ports/recs.js";
import { emptyProfile } from "../src/core/profiles/model.js";
import { ProfileService } from "../src/core/profiles/service.js";
import { RecsBlocks } from "../src/core/recs/block.js";
import { RecsEngine } from "../src/core/recs/engine.js";
import { recsSink } from "../src/core/recs/signals.js";
import { type IngestEvent, parseEvent } from "../src/core/segment/event.js";
import { blockRecord } from "../src/core/testing/block-record.js";
import { createSatoriRenderer } from "../src/node/cards/satori-renderer.js";
import { DB_FILE } from "../src/node/data-dir.js";
import { createSqliteCatalogStore } from "../src/node/sqlite/catalog-store.js";
import { createSqliteProfileStore } from "../src/node/sqlite/profile-store.js";
import { createSqliteRecsStore } from "../src/node/sqlite/recs-store.js";
import { openDatabase } from "../src/node/sqlite/store.js";
import {
  BENCH_API_KEY,
  type LoadResult,
  load,
  medianRound,
  report,
  settleOpentime,
  spawnBaseline,
  spawnOpentime,
} from "./lib.js";

const PRODUCTS = Number(process.env.BENCH_RECS_PRODUCTS ?? 50_000);
const PEOPLE = Number(process.env.BENCH_RECS_PEOPLE ?? 100_000);
const CATEGORIES = 50;
const BRANDS = 200;
const DAY = 86_400_000;

/** Seeded PRNG (mulberry32): the same catalog and histories every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Fills a database with PRODUCTS products and PEOPLE people's histories (views in a
 * category they like, some orders), written through the recs store's own `apply` (the
 * path ingestion takes), in batches of 1,000 people per transaction.
 */
function generate(db: Database.Database, now: number) {
  const t0 = performance.now();
  const r = rng(42);
  const insert = db.prepare(
    `INSERT INTO products (id, name, price, currency, compare_at_price, stock, image_url, url, category, brand, tags,
                           version, created_at, updated_at, price_since)
     VALUES (?, ?, ?, 'EUR', NULL, ?, NULL, ?, ?, ?, NULL, 1, ?, ?, ?)`,
  );
  const history = db.prepare(
    "INSERT INTO product_history (product_id, at, price, currency, stock) VALUES (?, ?, ?, 'EUR', ?)",
  );
  db.transaction(() => {
    for (let i = 0; i < PRODUCTS; i++) {
      const created = now - Math.floor(r() * 365) * DAY;
      const price = 10 + Math.round(r() * 20000) / 100;
      const stock = r() < 0.05 ? 0 : Math.floor(r() * 50);
      insert.run(
        `p${i}`,
        `Product ${i}`,
        price,
        stock,
        `https://shop.example/p/${i}`,
        `c${i % CATEGORIES}`,
        `b${i % BRANDS}`,
        created,
        created,
        created,
      );
      history.run(`p${i}`, created, price, stock);
    }
  })();
  const products = performance.now() - t0;
  const recs = createSqliteRecsStore(db);
  // A person browses one category: products near each other (popular ones more often).
  const pick = (cat: number) => {
    const k = Math.floor((PRODUCTS / CATEGORIES) * r() ** 3);
    return `p${(k * CATEGORIES + cat) % PRODUCTS}`;
  };
  const t1 = performance.now();
  for (let start = 0; start < PEOPLE; start += 1000) {
    const delta: RecsDelta = { pairs: [], popular: [], person: [], merged: [] };
    for (let i = start; i < Math.min(PEOPLE, start + 1000); i++) {
      const cat = i % CATEGORIES;
      const at = now - Math.floor(r() * 30 * DAY);
      const views: string[] = [];
      for (let v = 0; v < 5; v++) {
        const id = pick(cat);
        delta.popular.push({ kind: "view", id, w: 1, at, category: `c${cat}`, brand: null });
        delta.person.push({ profileId: `person${i}`, kind: "view", id, at: at + v });
        const prev = views.at(-1);
        if (prev && prev !== id) {
          delta.pairs.push({ kind: "view", a: id, b: prev, w: 1, at });
          delta.pairs.push({ kind: "view", a: prev, b: id, w: 1, at });
        }
        views.push(id);
      }
      if (i % 3 === 0) {
        const [a, b] = [pick(cat), pick(cat)];
        for (const id of [a, b]) {
          delta.popular.push({ kind: "buy", id, w: 1, at, category: `c${cat}`, brand: null });
          delta.person.push({ profileId: `person${i}`, kind: "buy", id, at: at + 10 });
        }
        if (a !== b) {
          delta.pairs.push({ kind: "buy", a, b, w: 1, at });
          delta.pairs.push({ kind: "buy", a: b, b: a, w: 1, at });
        }
      }
    }
    recs.apply(delta);
  }
  return { productsMs: Math.round(products), historiesMs: Math.round(performance.now() - t1) };
}

/** A person as the engine sees them: the profile's category interests (their documents are not needed here). */
function personProfile(i: number, now: number) {
  const p = emptyProfile(`person${i}`, now);
  p.interests.categories[`c${i % CATEGORIES}`] = { v: 5, t: now - DAY };
  p.interests.categories[`c${(i * 7) % CATEGORIES}`] = { v: 2, t: now - DAY };
  return p;
}

/** Ingest through ProfileService on SQLite, with and without the recs sink, alternating rounds. */
async function benchIngest(rounds = 4, perRound = 3000) {
  const dir = mkdtempSync(join(tmpdir(), "opentime-bench-recs-ingest-"));
  const now = Date.parse("2026-06-01T00:00:00Z");
  const make = (recs: boolean, n: number) => {
    const db = openDatabase(join(dir, `ingest-${recs ? "recs" : "plain"}-${n}.db`));
    let seq = 0;
    const service = new ProfileService({
      store: createSqliteProfileStore(db),
      secret: "bench-secret-0123456789abcdefghijklmn",
      clock: { now: () => now },
      random: (k) => {
        const b = new Uint8Array(k);
        new DataView(b.buffer).setUint32(0, ++seq);
        return b;
      },
      recs: recs ? recsSink(createSqliteRecsStore(db)) : undefined,
    });
    return { db, service };
  };
  const r = rng(7);
  let msg = 0;
  // Segment-shaped batches of 100: views of products (in sessions), some orders.
  const batch = (): IngestEvent[] =>
    Array.from({ length: 100 }, () => {
      const user = `u${Math.floor(r() * 2000)}`;
      const cat = Math.floor(r() * CATEGORIES);
      const id = `p${Math.floor(r() * 1000) * CATEGORIES + cat}`;
      const order = r() < 0.1;
      const raw = order
        ? {
            type: "track",
            userId: user,
            event: "Order Completed",
            properties: {
              order_id: `o${++msg}`,
              total: 99,
              products: [{ product_id: id, category: `c${cat}` }, { product_id: `p${cat}` }],
            },
          }
        : {
            type: "track",
            userId: user,
            event: "Product Viewed",
            properties: { product_id: id, category: `c${cat}`, brand: "b1" },
          };
      const ev = parseEvent(
        { ...raw, messageId: `m${++msg}`, timestamp: new Date(now - Math.floor(r() * 60_000)).toISOString() },
        { receivedAt: now, newId: () => `g${++msg}` },
      );
      return ev as IngestEvent;
    });
  const eps = { plain: [] as number[], recs: [] as number[] };
  // The group-commit timers are unref'd (a server's never hold its exit): hold the loop here.
  const hold = setInterval(() => {}, 1000);
  for (let round = 0; round < rounds; round++) {
    for (const withRecs of [false, true]) {
      const { db, service } = make(withRecs, round);
      const batches = Array.from({ length: perRound / 100 }, batch);
      // 8 clients at once, as Segment senders would be (groups commit together).
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < batches.length) await service.ingest(batches[next++]!);
        }),
      );
      const ms = performance.now() - t0;
      (withRecs ? eps.recs : eps.plain).push(perRound / (ms / 1000));
      await service.close();
      db.close();
    }
  }
  clearInterval(hold);
  const ratios = eps.plain.map((p, i) => eps.recs[i]! / p);
  return {
    eventsPerSecWithout: Math.round(median(eps.plain)),
    eventsPerSecWith: Math.round(median(eps.recs)),
    ratio: +median(ratios).toFixed(3),
  };
}

export async function benchRecs(seconds = Number(process.env.BENCH_SECONDS ?? 9)) {
  // BENCH_RECS_ONLY=ingest: just the ingest ratio (quick to iterate on).
  if (process.env.BENCH_RECS_ONLY === "ingest") {
    const ingest = await benchIngest();
    report("recs-ingest", [], { ingest });
    return { ingest };
  }
  const now = Date.now();
  const ot = await spawnOpentime();
  const file = join(ot.dataDir, DB_FILE);
  const genDb = openDatabase(file);
  // Generation only: no fsync per batch (the data is the bench's, rebuilt every run).
  genDb.pragma("synchronous = OFF");
  const gen = generate(genDb, now);
  genDb.close();
  console.log(`generated ${PRODUCTS} products and ${PEOPLE} people's histories`, gen);

  // In process, on the same file: choosing (no drawing), and uncached renders.
  const db = new Database(file);
  db.pragma("busy_timeout = 5000");
  const clock = { now: () => now };
  const catalog = createSqliteCatalogStore(db);
  const store = createSqliteRecsStore(db);
  const engine = new RecsEngine(store, catalog, clock);
  const r = rng(9);
  const chooseMs: number[] = [];
  for (let i = 0; i < 300; i++)
    await engine.choose({ profile: personProfile(Math.floor(r() * PEOPLE), now), count: 4, now });
  for (let i = 0; i < 2000; i++) {
    const profile = personProfile(Math.floor(r() * PEOPLE), now);
    const t0 = performance.now();
    await engine.choose({ profile, count: 4, now, recipient: `x${i}` });
    chooseMs.push(performance.now() - t0);
  }
  const chooseMedian = +median(chooseMs).toFixed(3);

  const renderer = await createSatoriRenderer();
  const cache = new RenderCache();
  const prices = new PriceBlocks(renderer, catalog, clock, cache);
  const recsBlocks = new RecsBlocks(renderer, engine, catalog, cache);
  let k = 0;
  const openOf = (i: number): OpenContext => ({
    recipient: `r${i}`,
    query: () => undefined,
    userAgent: null,
    now,
    profile: async () => personProfile(i % PEOPLE, now),
  });
  const renderPrice = async () => {
    const i = k++;
    // A different product each time: its card is not in the cache.
    const block = blockRecord(`price${i}`, {
      type: "price",
      options: { productId: `p${(i * 7919) % PRODUCTS}` },
    });
    return (await prices.render(block, "png")).image.bytes.byteLength;
  };
  const recsBlock = (i: number) =>
    blockRecord("recs", {
      type: "recs",
      version: i + 1,
      options: { tiles: 4, layout: "grid", fallbackUrl: "https://shop.example/", cacheSeconds: 0 },
    });
  const renderRecs = async () => {
    const i = k++;
    // A new block version and person each time: chosen and drawn afresh.
    return (await recsBlocks.render(recsBlock(i), "png", openOf(i))).image.bytes.byteLength;
  };
  const time = async (f: () => Promise<number>, n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await f();
    return (performance.now() - t0) / n;
  };
  await time(renderPrice, 60);
  await time(renderRecs, 30);
  const renderRounds: { price: number; recs: number }[] = [];
  for (let round = 0; round < 5; round++)
    renderRounds.push({ price: await time(renderPrice, 10), recs: await time(renderRecs, 10) });
  const renderRatio = +median(renderRounds.map((x) => x.recs / x.price)).toFixed(3);
  const uncached = {
    priceCardMs: +median(renderRounds.map((x) => x.price)).toFixed(2),
    recs4TilesMs: +median(renderRounds.map((x) => x.recs)).toFixed(2),
    ratio: renderRatio,
  };
  // BENCH_RECS_ONLY=render: just the uncached renders. BENCH_RECS_CPU_PROF=<dir> adds a
  // main-thread CPU profile of 40 renders of each kind (price.cpuprofile, recs.cpuprofile).
  if (process.env.BENCH_RECS_ONLY === "render") {
    // Process CPU per render (sharp encodes on other threads), alternating rounds: steadier
    // than wall time on a shared machine.
    const cpuOf = async (f: () => Promise<number>, n: number) => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) await f();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000 / n;
    };
    const cpuRounds: { price: number; recs: number }[] = [];
    for (let round = 0; round < 5; round++)
      cpuRounds.push({ price: await cpuOf(renderPrice, 10), recs: await cpuOf(renderRecs, 10) });
    const uncachedCpu = {
      priceCardMs: +median(cpuRounds.map((x) => x.price)).toFixed(2),
      recs4TilesMs: +median(cpuRounds.map((x) => x.recs)).toFixed(2),
      ratio: +median(cpuRounds.map((x) => x.recs / x.price)).toFixed(3),
    };
    const dir = process.env.BENCH_RECS_CPU_PROF;
    if (dir) {
      const { Session } = await import("node:inspector/promises");
      const session = new Session();
      session.connect();
      await session.post("Profiler.enable");
      for (const [name, f] of [
        ["price", renderPrice],
        ["recs", renderRecs],
      ] as const) {
        await session.post("Profiler.start");
        await time(f, 40);
        const { profile } = await session.post("Profiler.stop");
        writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      }
      session.disconnect();
    }
    await ot.stop();
    const summary = { uncached, uncachedCpu, targets: { uncachedRatio: 2 } };
    report("recs-render", [], summary);
    return summary;
  }

  // Over HTTP: a recs block cached per recipient vs the bare server sending the same bytes;
  // the adaptive tile link vs a plain tracked link (CPU per request).
  const auth = { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" };
  const created = await fetch(`${ot.url}/v1/blocks`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      type: "recs",
      options: { tiles: 4, fallbackUrl: "https://shop.example/", campaign: "bench", cacheSeconds: 3600 },
    }),
  });
  const { id } = (await created.json()) as { id: string };
  const link = await fetch(`${ot.url}/v1/links`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ url: "https://shop.example/landing", campaign: "bench" }),
  });
  const linkId = ((await link.json()) as { id: string }).id;
  // Diagnostic: an adaptive link of a block with plain slots (no recs), the same route.
  const plainBlock = await fetch(`${ot.url}/v1/blocks`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      type: "countdown",
      options: {
        deadline: "2030-01-01T00:00:00Z",
        campaign: "bench",
        slots: { cta: "https://shop.example/sale" },
      },
    }),
  });
  const plainId = ((await plainBlock.json()) as { id: string }).id;
  const pool = 2000;
  // Every recipient of the pool opens once first (their choice and decision exist).
  for (let i = 0; i < pool; i++) await fetch(`${ot.url}/i/${id}.png?u=r${i}`).then((x) => x.arrayBuffer());
  const pngFile = join(mkdtempSync(join(tmpdir(), "opentime-bench-recs-")), "recs.png");
  writeFileSync(pngFile, new Uint8Array(await (await fetch(`${ot.url}/i/${id}.png?u=r0`)).arrayBuffer()));
  await settleOpentime(ot, "bench");
  const base = await spawnBaseline({ BASELINE_FILE: pngFile });
  const runs: LoadResult[][] = [[], [], [], [], []];
  const connections = 50;
  for (let round = 0; round < 3; round++) {
    const opts = { connections, seconds: Math.max(2, Math.round(seconds / 3)), warmup: round === 0 ? 2 : 1 };
    runs[0]!.push(
      await load("bare hono, the same PNG bytes", base.url, {
        ...opts,
        pid: base.child.pid,
        path: () => "/file",
      }),
    );
    runs[1]!.push(
      await load("opentime recs 4 tiles, cached per recipient", ot.url, {
        ...opts,
        pid: ot.child.pid,
        path: (i) => `/i/${id}.png?u=r${i % pool}`,
      }),
    );
    await settleOpentime(ot, "bench");
    runs[2]!.push(
      await load("opentime tracked link /c/:id", ot.url, {
        ...opts,
        pid: ot.child.pid,
        path: (i) => `/c/${linkId}?u=r${i % pool}`,
      }),
    );
    await settleOpentime(ot, "bench");
    runs[3]!.push(
      await load("opentime adaptive tile /c/:block/tile2", ot.url, {
        ...opts,
        pid: ot.child.pid,
        path: (i) => `/c/${id}/tile2?u=r${i % pool}`,
      }),
    );
    await settleOpentime(ot, "bench");
    runs[4]!.push(
      await load("diagnostic: adaptive link, plain slots /c/:block/cta", ot.url, {
        ...opts,
        pid: ot.child.pid,
        path: (i) => `/c/${plainId}/cta?u=r${i % pool}`,
      }),
    );
    await settleOpentime(ot, "bench");
  }
  await base.stop();
  await ot.stop();
  const [sameBytes, cached, tracked, adaptive, plainAdaptive] = runs.map(medianRound) as [
    LoadResult,
    LoadResult,
    LoadResult,
    LoadResult,
    LoadResult,
  ];
  const cpu = (x: LoadResult) => (x.mainUs ?? 0) + (x.otherUs ?? 0);

  const ingest = await benchIngest();
  const summary = {
    generated: { products: PRODUCTS, people: PEOPLE, ...gen },
    chooseMedianMs: chooseMedian,
    chooseP90Ms: +[...chooseMs].sort((a, b) => a - b)[Math.floor(chooseMs.length * 0.9)]!.toFixed(3),
    uncached,
    cachedRatioToSameBytes: +(cached.rps / sameBytes.rps).toFixed(3),
    adaptiveCpuUsPerRequest: +cpu(adaptive).toFixed(1),
    trackedCpuUsPerRequest: +cpu(tracked).toFixed(1),
    adaptiveCpuRatio: +(cpu(adaptive) / cpu(tracked)).toFixed(3),
    plainAdaptiveCpuUsPerRequest: +cpu(plainAdaptive).toFixed(1),
    ingest,
    targets: {
      chooseMedianMs: 2,
      uncachedRatio: 2,
      cachedRatio: 0.3,
      adaptiveCpuRatio: 1.2,
      ingestRatio: 0.9,
    },
  };
  report("recs", [sameBytes, cached, tracked, adaptive, plainAdaptive], summary);
  return summary;
}
