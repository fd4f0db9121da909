import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BENCH_API_KEY,
  type LoadResult,
  load,
  medianRound,
  report,
  settleOpentime,
  spawnBaseline,
  spawnDataServer,
} from "./lib.js";

/**
 * Data blocks, in one run against the shipped server: (1) a live-at-open source that
 * answers in 20 ms with a new value each time, so every open fetches and most render
 * anew, beside price cards that are never in the render cache (a different product each
 * request): the data block's p99 may be at most 20 ms above the price card's; (2) a
 * source cached per interval under load vs the bare server sending the same PNG bytes:
 * at least 0.3x its requests/s. Rounds alternate and medians are reported.
 */
export async function benchData(seconds = Number(process.env.BENCH_SECONDS ?? 6)) {
  let answered = 0;
  const source = createServer((_req, res) => {
    setTimeout(() => {
      answered++;
      const last = 100 + (answered % 997) / 100;
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ quote: { symbol: "ACME", last, change: last - 105, time: Date.now() } }));
    }, 20);
  });
  await new Promise<void>((r) => source.listen(0, "127.0.0.1", r));
  const sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}/quote`;

  const ot = await spawnDataServer();
  const api = async (path: string, body: unknown, method = "POST") => {
    const res = await fetch(`${ot.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { id: string };
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  // Price cards never cached: one product and block each, every request the next one.
  const PRICE_BLOCKS = 1500;
  const products = Array.from({ length: PRICE_BLOCKS }, (_, i) => ({
    id: `p${i}`,
    name: `Trail running shoe ${i}`,
    price: 70 + (i % 300) / 10,
    currency: "EUR",
    stock: 3,
  }));
  for (let i = 0; i < products.length; i += 500)
    await api("/v1/products", { products: products.slice(i, i + 500) }, "PUT");
  const priceIds: string[] = [];
  for (let i = 0; i < PRICE_BLOCKS; i += 50)
    priceIds.push(
      ...(
        await Promise.all(
          products
            .slice(i, i + 50)
            .map((p) =>
              api("/v1/blocks", { type: "price", options: { productId: p.id, campaign: "bench" } }),
            ),
        )
      ).map((b) => b.id),
    );

  const fields = {
    instrument: { path: "quote.symbol" },
    last: { path: "quote.last", format: "currency", currency: "USD" },
    change: { path: "quote.change", format: "number", digits: 2, signed: true },
    time: { path: "quote.time", format: "time" },
  };
  const live = await api("/v1/sources", {
    url: sourceUrl,
    mode: "live",
    timeoutMs: 500,
    historyPath: "quote.last",
  });
  const cachedSrc = await api("/v1/sources", { url: sourceUrl, mode: "interval", everySeconds: 3600 });
  const liveBlock = await api("/v1/blocks", {
    type: "data",
    options: { source: live.id, fields, campaign: "bench" },
  });
  const cachedBlock = await api("/v1/blocks", {
    type: "data",
    options: { source: cachedSrc.id, fields, campaign: "bench" },
  });

  const pid = ot.child.pid!;
  const latency: LoadResult[][] = [[], []];
  let nextPrice = 0;
  for (let r = 0; r < 3; r++) {
    const opts = {
      connections: 10,
      seconds: Math.max(3, Math.round(seconds / 2)),
      warmup: r === 0 ? 1 : 0,
      pid,
    };
    latency[0]!.push(
      await load("price card, uncached", ot.url, {
        ...opts,
        path: () => `/i/${priceIds[nextPrice++ % PRICE_BLOCKS]}.png`,
      }),
    );
    latency[1]!.push(
      await load("data block, live source (20 ms)", ot.url, {
        ...opts,
        path: (i) => `/i/${liveBlock.id}.png?u=r${i}`,
      }),
    );
    await settleOpentime(ot, "bench");
  }

  // Cached per interval vs the bare server sending the same bytes.
  const png = new Uint8Array(await (await fetch(`${ot.url}/i/${cachedBlock.id}.png`)).arrayBuffer());
  const pngFile = join(mkdtempSync(join(tmpdir(), "opentime-bench-png-")), "data.png");
  writeFileSync(pngFile, png);
  const base = await spawnBaseline({ BASELINE_FILE: pngFile });
  const throughput: LoadResult[][] = [[], []];
  for (let r = 0; r < 3; r++) {
    const opts = { connections: 50, seconds: Math.max(3, Math.round(seconds / 2)), warmup: r === 0 ? 2 : 1 };
    throughput[0]!.push(
      await load("bare hono, the same PNG bytes", base.url, { ...opts, path: () => "/file" }),
    );
    throughput[1]!.push(
      await load("data block, cached per interval", ot.url, {
        ...opts,
        pid,
        path: (i) => `/i/${cachedBlock.id}.png?u=r${i % 50_000}`,
      }),
    );
    await settleOpentime(ot, "bench");
  }
  await base.stop();
  await ot.stop();
  source.close();

  const [price, data] = latency.map(medianRound) as [LoadResult, LoadResult];
  const [bare, cached] = throughput.map(medianRound) as [LoadResult, LoadResult];
  const summary = {
    liveP99ms: data.p99,
    priceUncachedP99ms: price.p99,
    p99AboveUncachedPriceMs: +(data.p99 - price.p99).toFixed(1),
    sourceFetches: answered,
    cachedRatioToSamePngFromBareServer: +(cached.rps / bare.rps).toFixed(3),
    pngBytes: png.byteLength,
    targets: { p99AboveUncachedPriceMs: 20, cachedRatio: 0.3 },
  };
  report("data", [price, data, bare, cached], summary);
  return summary;
}
