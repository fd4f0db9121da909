import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchCountdownRender } from "./countdown-render.js";
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

/**
 * Countdown, in one run: (1) render speed and size vs the naive canvas + gifencoder timer
 * (bench/countdown-render.ts), (2) the HTTP endpoint under autocannon at 50 connections vs a
 * bare Hono 302 server, (3) memory under a flood of distinct timers.
 * Targets: ≥ 1000x faster, ≤ 1/10 bytes; ≥ 0.15x the bare server's requests/s, p99 < 30 ms;
 * memory bounded.
 */
export async function benchCountdown(seconds = Number(process.env.BENCH_SECONDS ?? 10)) {
  const render = await benchCountdownRender();

  const connections = 50;
  const ot = await spawnOpentime();
  const auth = { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" };
  const created = await fetch(`${ot.url}/v1/blocks`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      type: "countdown",
      options: { deadline: new Date(Date.now() + 3 * 86_400_000).toISOString(), campaign: "bench" },
    }),
  });
  const { id } = (await created.json()) as { id: string };

  // Context, not the target's baseline: the same bare server sending this very GIF, i.e. the
  // most this load generator takes in at that body. autocannon keeps each response body as
  // a string (`req.body += chunk`), decoding binary bytes as UTF-8: zero-filled bytes of the
  // same length go ~6x faster, so the real bytes are what it is given.
  const gifFile = join(mkdtempSync(join(tmpdir(), "opentime-bench-gif-")), "timer.gif");
  writeFileSync(gifFile, new Uint8Array(await (await fetch(`${ot.url}/i/${id}.gif`)).arrayBuffer()));
  const base = await spawnBaseline({ BASELINE_FILE: gifFile });
  // Alternating rounds (bare 302, bare GIF, opentime), medians, as the cards bench does: the
  // machine's speed drifts, and measuring one side after the other skewed the ratio by it.
  // Each open of the timer is recorded: opentime settles after its rounds (lib.ts says why).
  const rounds: LoadResult[][] = [[], [], []];
  for (let r = 0; r < 3; r++) {
    const opts = { connections, seconds: Math.max(3, Math.round(seconds / 3)), warmup: r === 0 ? 2 : 1 };
    rounds[0]!.push(await load("bare hono 302", base.url, { ...opts, path: () => "/c/x" }));
    rounds[1]!.push(await load("bare hono, the same GIF bytes", base.url, { ...opts, path: () => "/file" }));
    rounds[2]!.push(
      await load("opentime /i/:id.gif (600x120x60)", ot.url, {
        ...opts,
        path: (i) => `/i/${id}.gif?u=r${i % 50_000}`,
      }),
    );
    await settleOpentime(ot, "bench");
  }
  await base.stop();
  const [baseline, sameBytes, http] = rounds.map(medianRound) as [LoadResult, LoadResult, LoadResult];

  // A flood of distinct timers (signed URLs, each a new deadline): the render cache is
  // bounded by bytes, so the process must stay bounded too.
  const gauge = async (name: string) => {
    const text = await (await fetch(`${ot.url}/metrics`, { headers: auth })).text();
    return Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
  };
  const rssBefore = await gauge("process_resident_memory_bytes");
  const urls: string[] = [];
  for (let i = 0; i < 400; i++) {
    const res = await fetch(`${ot.url}/v1/sign`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        type: "countdown",
        options: { deadline: new Date(Date.now() + 86_400_000 + i * 7_919_000).toISOString() },
      }),
    });
    urls.push(((await res.json()) as { url: string }).url.replace(/^https?:\/\/[^/]+/, ""));
  }
  const flood = await load("opentime distinct timers (400 x each second)", ot.url, {
    connections,
    seconds: Math.max(5, Math.floor(seconds / 2)),
    path: (i) => urls[i % urls.length]!,
  });
  const cacheBytes = await gauge("opentime_render_cache_bytes");
  const rssAfter = await gauge("process_resident_memory_bytes");

  // An evergreen timer opened by a new recipient every time: each open stores that
  // person's start (group-committed off the main thread), as a big send's first hour does.
  const evergreen = (await (
    await fetch(`${ot.url}/v1/blocks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        type: "countdown",
        options: { evergreen: { duration: 172_800, from: "first_open" }, campaign: "bench-evergreen" },
      }),
    })
  ).json()) as { id: string };
  let reader = 0;
  const firstOpens = await load("opentime evergreen timer, a new recipient per open", ot.url, {
    connections,
    seconds: Math.max(5, Math.floor(seconds / 2)),
    path: () => `/i/${evergreen.id}.gif?u=reader${reader++}%40example.com`,
  });
  await ot.stop();

  const summary = {
    render,
    connections,
    httpRatio: +(http.rps / baseline.rps).toFixed(3),
    httpRatioToSameGifFromBareServer: +(http.rps / sameBytes.rps).toFixed(3),
    httpP99ms: http.p99,
    floodRps: flood.rps,
    floodP99ms: flood.p99,
    renderCacheBytesAfterFlood: cacheBytes,
    rssMbBeforeFlood: Math.round(rssBefore / 1048576),
    rssMbAfterFlood: Math.round(rssAfter / 1048576),
    renderCacheLimitBytes: 64 * 1024 * 1024,
    evergreenFirstOpensRps: firstOpens.rps,
    evergreenFirstOpensP99ms: firstOpens.p99,
    targets: { speedup: 1000, sizeFraction: 0.1, httpRatio: 0.15, p99ms: 30 },
  };
  report("countdown", [baseline, sameBytes, http, flood, firstOpens], summary);
  return summary;
}
