import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import satori from "satori";
import { priceCard } from "../src/core/cards/price-templates.js";
import { createSatoriRenderer } from "../src/node/cards/satori-renderer.js";
import { SAMPLES, THEME } from "../test/cards/samples.js";
import {
  BENCH_API_KEY,
  type LoadResult,
  load,
  medianRound,
  ROOT,
  report,
  settleOpentime,
  spawnBaseline,
  spawnOpentime,
} from "./lib.js";

/**
 * Price cards, in one run: (1) an uncached 600x300 render through our renderer vs the
 * straightforward satori + resvg code with default options (fonts read once too, but
 * resvg scans system fonts on every render); (2) cached serving of GET /i/:id.png under
 * autocannon at 50 connections vs a bare Hono 302 server.
 * Targets: uncached ≤ 0.6x the straightforward time; ≥ 0.3x the bare rps, p99 < 20 ms.
 */
export async function benchCards(
  seconds = Number(process.env.BENCH_SECONDS ?? 10),
  renders = 25,
  warmups = 120,
) {
  const tree = (i: number) =>
    priceCard(
      "classic",
      { ...SAMPLES.drop!, name: `Trail running shoe ${i}`, now: `€${70 + i}.00` },
      600,
      300,
      THEME,
    );
  const fonts = [
    {
      name: "Roboto",
      data: readFileSync(join(ROOT, "fonts/Roboto-Bold.ttf")),
      weight: 700 as const,
      style: "normal" as const,
    },
  ];
  const naive = async (i: number) => {
    const svg = await satori(tree(i) as unknown as Parameters<typeof satori>[0], {
      width: 600,
      height: 300,
      fonts,
    });
    return new Resvg(svg).render().asPng();
  };
  const ours = await createSatoriRenderer();
  const oursRender = (i: number) =>
    ours.render(tree(i), { width: 600, height: 300, scale: 1, format: "png" });
  // Steady state, as a server that renders many cards runs: satori's JIT needs ~100 renders
  // to settle (the first dozens take twice as long), so both warm up first. Then rounds
  // alternate naive/ours (a shared VM drifts by tens of percent between seconds) and the
  // median of the per-round ratios is reported.
  let k = 0;
  const time = async (f: (i: number) => Promise<Uint8Array>, n: number) => {
    const t0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += (await f(k++)).byteLength;
    return { ms: (performance.now() - t0) / n, bytes: bytes / n };
  };
  await time(naive, warmups);
  await time(oursRender, warmups);
  const rounds: { naive: number; ours: number; bytes: number }[] = [];
  for (let r = 0; r < 8; r++) {
    const a = await time(naive, renders);
    const b = await time(oursRender, renders);
    rounds.push({ naive: a.ms, ours: b.ms, bytes: b.bytes });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const naiveT = { ms: +median(rounds.map((r) => r.naive)).toFixed(2) };
  const oursT = {
    ms: +median(rounds.map((r) => r.ours)).toFixed(2),
    bytes: Math.round(median(rounds.map((r) => r.bytes))),
  };
  const uncachedRatio = +median(rounds.map((r) => r.ours / r.naive)).toFixed(3);

  // Context, not the target: per-card time with 8 distinct cards in flight (a banner per
  // first name opening at once). The naive code draws on the calling thread; ours moves
  // resvg to libuv's pool when others are drawing.
  const burst = async (f: (i: number) => Promise<Uint8Array>) => {
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < renders; i++) await f(k++);
      }),
    );
    return (performance.now() - t0) / (8 * renders);
  };
  const bursts: { naive: number; ours: number }[] = [];
  for (let r = 0; r < 3; r++) bursts.push({ naive: await burst(naive), ours: await burst(oursRender) });

  const connections = 50;
  const ot = await spawnOpentime();
  const auth = { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" };
  await fetch(`${ot.url}/v1/products`, {
    method: "PUT",
    headers: auth,
    body: JSON.stringify({
      products: [{ id: "shoe", name: "Trail running shoe", price: 79, currency: "EUR", stock: 3 }],
    }),
  });
  const created = await fetch(`${ot.url}/v1/blocks`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ type: "price", options: { productId: "shoe", campaign: "bench" } }),
  });
  const { id } = (await created.json()) as { id: string };

  // Context, as in the countdown bench: the bare server sending this very PNG (the load
  // generator's HTTP parser is slow on binary bodies, so the ceiling depends on the bytes).
  const pngFile = join(mkdtempSync(join(tmpdir(), "opentime-bench-png-")), "card.png");
  writeFileSync(pngFile, new Uint8Array(await (await fetch(`${ot.url}/i/${id}.png`)).arrayBuffer()));
  const base = await spawnBaseline({ BASELINE_FILE: pngFile });
  // Alternating rounds (bare 302, bare PNG, opentime), medians: the machine's speed drifts
  // between runs, and measuring one side after the other skewed the ratio by it.
  const rounds3: LoadResult[][] = [[], [], []];
  for (let r = 0; r < 3; r++) {
    const opts = { connections, seconds: Math.max(3, Math.round(seconds / 3)), warmup: r === 0 ? 2 : 1 };
    rounds3[0]!.push(await load("bare hono 302", base.url, { ...opts, path: () => "/c/x" }));
    rounds3[1]!.push(await load("bare hono, the same PNG bytes", base.url, { ...opts, path: () => "/file" }));
    rounds3[2]!.push(
      await load("opentime /i/:id.png (price 600x300, cached)", ot.url, {
        ...opts,
        path: (i) => `/i/${id}.png?u=r${i % 50_000}`,
      }),
    );
    // Its hits record opens: their writer settles before the next round (lib.ts says why).
    await settleOpentime(ot, "bench");
  }
  await base.stop();
  const [baseline, sameBytes, http] = rounds3.map(medianRound) as [LoadResult, LoadResult, LoadResult];
  await ot.stop();

  const summary = {
    uncached: {
      naiveMs: naiveT.ms,
      oursMs: oursT.ms,
      ratio: uncachedRatio,
      rounds: rounds.length,
      eightInFlight: {
        naiveMsPerCard: +median(bursts.map((b) => b.naive)).toFixed(2),
        oursMsPerCard: +median(bursts.map((b) => b.ours)).toFixed(2),
        ratio: +median(bursts.map((b) => b.ours / b.naive)).toFixed(3),
      },
      pngBytes: oursT.bytes,
    },
    connections,
    httpRatio: +(http.rps / baseline.rps).toFixed(3),
    httpRatioToSamePngFromBareServer: +(http.rps / sameBytes.rps).toFixed(3),
    httpP99ms: http.p99,
    targets: { uncachedRatio: 0.6, httpRatio: 0.3, p99ms: 20 },
  };
  report("cards", [baseline, sameBytes, http], summary);
  return summary;
}
