import { BENCH_API_KEY, load, report, spawnOpentime, spawnTs } from "./lib.js";

/**
 * Tracked redirect and open pixel vs a bare Hono 302 server, same run, same machine.
 * Target: ≥ 0.8x the baseline's requests/s at 100 connections, p99 < 10 ms.
 */
export async function benchRedirect(seconds = Number(process.env.BENCH_SECONDS ?? 10)) {
  const connections = 100;
  const recipients = (i: number) => `r${i % 50_000}%40example.com`;

  const base = await spawnTs("bench/baseline-server.ts");
  const baseRedirect = await load("bare hono 302", base.url, { connections, seconds, path: () => "/c/x" });
  const basePixel = await load("bare hono gif", base.url, { connections, seconds, path: () => "/o/x.gif" });
  await base.stop();

  const ot = await spawnOpentime();
  const created = await fetch(`${ot.url}/v1/links`, {
    method: "POST",
    headers: { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ url: "https://shop.example/landing", campaign: "bench" }),
  });
  const { id } = (await created.json()) as { id: string };
  const redirect = await load("opentime /c/:id", ot.url, {
    connections,
    seconds,
    path: (i) => `/c/${id}?u=${recipients(i)}`,
  });
  const pixel = await load("opentime /o/:id.gif", ot.url, {
    connections,
    seconds,
    path: (i) => `/o/bench.gif?u=${recipients(i)}`,
  });
  const stats = (await (
    await fetch(`${ot.url}/v1/campaigns/bench/stats`, {
      headers: { authorization: `Bearer ${BENCH_API_KEY}` },
    })
  ).json()) as { opens: { total: number }; clicks: { total: number } };
  await ot.stop();

  const summary = {
    connections,
    seconds,
    redirectRatio: +(redirect.rps / baseRedirect.rps).toFixed(3),
    redirectP99ms: redirect.p99,
    pixelRatio: +(pixel.rps / basePixel.rps).toFixed(3),
    pixelP99ms: pixel.p99,
    // Every answered request (warm-up included) must be in the log.
    clicksLogged: stats.clicks.total,
    opensLogged: stats.opens.total,
    targets: { ratio: 0.8, p99ms: 10 },
  };
  report("redirect", [baseRedirect, redirect, basePixel, pixel], summary);
  return summary;
}
