import {
  BENCH_API_KEY,
  type LoadResult,
  load,
  medianRound,
  report,
  settleOpentime,
  spawnBaseline,
  spawnOpentime,
  spawnStoreless,
} from "./lib.js";

/**
 * Tracked redirect and open pixel vs a bare Hono 302 server, same run, same machine.
 * Target: ≥ 0.8x the baseline's requests/s at 100 connections, p99 < 10 ms.
 *
 * Both servers run side by side and are measured in alternation (baseline, opentime,
 * baseline, opentime…), so a machine whose load drifts during the run (2 shared cores)
 * skews both sides alike; the medians of the rounds are reported.
 *
 * A third server is measured in the same rounds, as a diagnostic: opentime's request path
 * with a store that only counts (bench/storeless-server.ts). Its rows say how far any
 * durable store could bring the figures on this machine, and so how much of the gap is the
 * store's work (the writer thread's CPU shares the two cores with the requests and the
 * load generator) and how much the request path's own.
 */
export async function benchRedirect(seconds = Number(process.env.BENCH_SECONDS ?? 10)) {
  const connections = 100;
  const rounds = 3;
  const perRound = Math.max(3, Math.round(seconds / rounds));
  // The pool of recipients the opens and clicks cycle through (BENCH_RECIPIENTS, default 50,000).
  const pool = Number(process.env.BENCH_RECIPIENTS ?? 50_000);
  const recipients = (i: number) => `r${i % pool}%40example.com`;

  const base = await spawnBaseline();
  const ot = await spawnOpentime();
  const storelessServer = await spawnStoreless();
  const linkOn = async (server: { url: string }) => {
    const created = await fetch(`${server.url}/v1/links`, {
      method: "POST",
      headers: { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://shop.example/landing", campaign: "bench" }),
    });
    return ((await created.json()) as { id: string }).id;
  };
  const [id, storelessId] = [await linkOn(ot), await linkOn(storelessServer)];

  // Settled after each round of opentime (lib.ts: settleOpentime says why).
  const settle = async (round: LoadResult) => {
    const { ms, usPerRequest } = await settleOpentime(ot, "bench", round.requests);
    settled.push({ ms, usPerRequest });
  };
  const settled: { ms: number; usPerRequest: number }[] = [];
  const runs: Record<string, LoadResult[]> = { b302: [], c: [], sc: [], bgif: [], o: [], so: [] };
  for (let r = 0; r < rounds; r++) {
    const opts = { connections, seconds: perRound, warmup: r === 0 ? 2 : 1 };
    const [bp, op, sp] = [
      { ...opts, pid: base.child.pid },
      { ...opts, pid: ot.child.pid },
      { ...opts, pid: storelessServer.child.pid },
    ];
    runs.b302!.push(await load("bare hono 302", base.url, { ...bp, path: () => "/c/x" }));
    runs.c!.push(
      await load("opentime /c/:id", ot.url, { ...op, path: (i) => `/c/${id}?u=${recipients(i)}` }),
    );
    await settle(runs.c!.at(-1)!);
    runs.sc!.push(
      await load("storeless /c/:id", storelessServer.url, {
        ...sp,
        path: (i) => `/c/${storelessId}?u=${recipients(i)}`,
      }),
    );
    runs.bgif!.push(await load("bare hono gif", base.url, { ...bp, path: () => "/o/x.gif" }));
    runs.o!.push(
      await load("opentime /o/:id.gif", ot.url, { ...op, path: (i) => `/o/bench.gif?u=${recipients(i)}` }),
    );
    await settle(runs.o!.at(-1)!);
    runs.so!.push(
      await load("storeless /o/:id.gif", storelessServer.url, {
        ...sp,
        path: (i) => `/o/bench.gif?u=${recipients(i)}`,
      }),
    );
  }
  const { stats } = await settleOpentime(ot, "bench");
  const storeless = (await settleOpentime(storelessServer, "bench")).stats;
  await Promise.all([base.stop(), ot.stop(), storelessServer.stop()]);

  const [b302, c, sc, bgif, o, so] = [runs.b302!, runs.c!, runs.sc!, runs.bgif!, runs.o!, runs.so!].map(
    medianRound,
  ) as [LoadResult, LoadResult, LoadResult, LoadResult, LoadResult, LoadResult];
  const summary = {
    connections,
    rounds,
    secondsPerRound: perRound,
    redirectRatio: +(c.rps / b302.rps).toFixed(3),
    redirectP99ms: c.p99,
    baselineRedirectP99ms: b302.p99,
    pixelRatio: +(o.rps / bgif.rps).toFixed(3),
    pixelP99ms: o.p99,
    baselinePixelP99ms: bgif.p99,
    // Context for the ratios (CPU µs per request, medians): here autocannon and the servers
    // share two cores, so every µs the event writer spends comes out of the requests/s. A
    // bare server is one thread; opentime's main thread is its ceiling when the clients are
    // elsewhere, with the writer on another core.
    cpuUsPerRequest: {
      bare302: { main: b302.mainUs, other: b302.otherUs, autocannon: b302.clientUs },
      redirect: { main: c.mainUs, other: c.otherUs, autocannon: c.clientUs },
      bareGif: { main: bgif.mainUs, other: bgif.otherUs, autocannon: bgif.clientUs },
      pixel: { main: o.mainUs, other: o.otherUs, autocannon: o.clientUs },
    },
    mainThreadRatio: {
      redirect: +(b302.mainUs! / c.mainUs!).toFixed(3),
      pixel: +(bgif.mainUs! / o.mainUs!).toFixed(3),
    },
    // After each round of opentime (redirect, pixel, …): the wait for its writer to settle,
    // and the CPU that took per request of the round (work deferred past the round).
    settledAfterRounds: settled,
    // The diagnostic: the same request path with a store that only counts.
    storeless: {
      redirectRatio: +(sc.rps / b302.rps).toFixed(3),
      redirectP99ms: sc.p99,
      pixelRatio: +(so.rps / bgif.rps).toFixed(3),
      pixelP99ms: so.p99,
      cpuUsPerRequest: {
        redirect: { main: sc.mainUs, other: sc.otherUs, autocannon: sc.clientUs },
        pixel: { main: so.mainUs, other: so.otherUs, autocannon: so.clientUs },
      },
      clicksCounted: storeless.clicks.total,
      opensCounted: storeless.opens.total,
    },
    // Every answered request (warm-ups included) must be in the log.
    clicksLogged: stats.clicks.total,
    opensLogged: stats.opens.total,
    targets: { ratio: 0.8, p99ms: 10 },
  };
  report("redirect", [b302, c, sc, bgif, o, so], summary);
  return summary;
}
