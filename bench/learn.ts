import {
  BENCH_API_KEY,
  type LoadResult,
  load,
  medianRound,
  report,
  settleOpentime,
  spawnOpentime,
} from "./lib.js";

/**
 * The open path of a block whose split is optimised (a Thompson draw per new person, a
 * sticky assignment, a human impression counted) vs the same block with a fixed split, on
 * one server in the same run: GET /i/:id.gif with a different recipient per request, in
 * alternating rounds (a shared VM drifts between seconds), medians reported.
 * Target: CPU per request ≤ 1.2x the fixed split's.
 */
export async function benchLearn(seconds = Number(process.env.BENCH_SECONDS ?? 4), rounds = 4) {
  const ot = await spawnOpentime();
  try {
    const options = (splits?: object) => ({
      deadline: new Date(Date.now() + 5 * 86_400_000).toISOString(),
      campaign: "bench-learn",
      slots: { cta: "https://shop.example/sale" },
      variants: [
        { name: "red", split: "hero", options: { digitColor: "#c00000" } },
        { name: "blue", split: "hero", options: { digitColor: "#0000c0" } },
        { name: "green", split: "hero", options: { digitColor: "#00a000" } },
      ],
      ...(splits && { splits }),
    });
    const create = async (opts: object) => {
      const res = await fetch(`${ot.url}/v1/blocks`, {
        method: "POST",
        headers: { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "countdown", options: opts }),
      });
      if (res.status !== 201) throw new Error(`block: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    };
    const fixed = await create(options());
    // minSample 0: every open past the first runs the bandit (the costliest case).
    const optimised = await create(options({ hero: { optimize: "clicks", minSample: 0 } }));
    const pid = ot.child.pid!;
    let who = 0;
    const run = (name: string, id: string) =>
      load(name, ot.url, {
        connections: 20,
        seconds,
        warmup: 1,
        pid,
        path: () => `/i/${id}.gif?u=p${who++}%40bench.test`,
      });
    const a: LoadResult[] = [];
    const b: LoadResult[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(await run("fixed split", fixed));
      await settleOpentime(ot, "bench-learn");
      b.push(await run("optimize: clicks", optimised));
      await settleOpentime(ot, "bench-learn");
    }
    const base = medianRound(a);
    const opt = medianRound(b);
    const cpu = (x: LoadResult) => (x.mainUs ?? 0) + (x.otherUs ?? 0);
    const ratios = a.map((x, i) => cpu(b[i]!) / cpu(x)).sort((p, q) => p - q);
    const summary = {
      cpuPerRequestRatio: +ratios[Math.floor(ratios.length / 2)]!.toFixed(3),
      target: "<= 1.2",
      rpsRatio: +(opt.rps / base.rps).toFixed(3),
      roundRatios: ratios.map((r) => +r.toFixed(3)),
    };
    report("learn", [base, opt], summary);
    return summary;
  } finally {
    await ot.stop();
  }
}
