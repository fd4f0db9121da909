import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { startOpenMeteoStandIn } from "../../test/helpers/open-meteo.js";
import { mb, prepare, startServer } from "./server.js";
import { createWorld, serverEnv, WRITE_AUTH } from "./world.js";

/**
 * The soak: a short burst at full tilt measures the server's max rate on a mix of what a
 * send brings (clicks, open pixels, live-image opens, Segment batches), then the same mix
 * runs at half that rate for `seconds`, in five equal slices. Reported: RSS growth, errors
 * (failed requests and any answer but 200/302), and p99 drift (last slice against first).
 */
export interface SoakOptions {
  seconds: number;
  burstSeconds?: number;
  connections?: number;
  fromSource?: boolean;
  log?: (line: string) => void;
}

export interface SoakSlice {
  fromS: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rssMb: number;
}

export interface SoakFigures {
  maxRps: number;
  targetRps: number;
  seconds: number;
  requests: number;
  errors: number;
  slices: SoakSlice[];
  rssStartMb: number;
  rssEndMb: number;
  rssPeakMb: number;
  /** Last slice's p99 over the first's. */
  p99Drift: number;
}

/** Out of every 10 requests: 4 clicks, 4 open pixels, 1 live image, 1 Segment batch of 10 events. */
const MIX = ["click", "open", "click", "open", "image", "click", "open", "click", "open", "batch"] as const;

export async function runSoak(opts: SoakOptions): Promise<SoakFigures> {
  const log = opts.log ?? (() => {});
  prepare(opts.fromSource);
  const weather = await startOpenMeteoStandIn();
  const dataDir = mkdtempSync(join(tmpdir(), "opentime-reliability-soak-"));
  const server = await startServer({ dataDir, env: serverEnv(weather.url), fromSource: opts.fromSource });
  try {
    const world = await createWorld(server.url);
    const link = world.links[0]!.id;
    const image = `/i/${world.blocks.countdown}.gif`;
    let n = 0;
    const request = () => ({
      setupRequest: (req: any) => {
        const i = n++;
        const u = `soak-${i % 200_000}%40example.com`;
        switch (MIX[i % MIX.length]!) {
          case "click":
            return { ...req, method: "GET", path: `/c/${link}?u=${u}` };
          case "open":
            return { ...req, method: "GET", path: `/o/${world.campaign}.gif?u=${u}` };
          case "image":
            return { ...req, method: "GET", path: `${image}?u=${u}` };
          default:
            return {
              ...req,
              method: "POST",
              path: "/v1/batch",
              headers: { ...req.headers, authorization: WRITE_AUTH, "content-type": "application/json" },
              body: JSON.stringify({
                batch: Array.from({ length: 10 }, (_, k) => ({
                  type: "track",
                  userId: `soak-${(i * 10 + k) % 5000}`,
                  event: "Product Viewed",
                  properties: { product_id: `sku-${k}`, price: 10 + k },
                  messageId: `soak-${i}-${k}`,
                })),
              }),
            };
        }
      },
    });
    const run = (seconds: number, rate?: number) =>
      autocannon({
        url: server.url,
        connections: opts.connections ?? 20,
        duration: seconds,
        ...(rate ? { overallRate: rate } : {}),
        headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36" },
        requests: [request()],
      });
    const errorsOf = (r: autocannon.Result) =>
      r.errors +
      r.timeouts +
      Object.entries(r.statusCodeStats ?? {})
        .filter(([code]) => code !== "200" && code !== "302")
        .reduce((a, [, s]) => a + (s as { count: number }).count, 0);

    const burst = await run(opts.burstSeconds ?? 10);
    const maxRps = Math.round(burst.requests.average);
    const targetRps = Math.max(1, Math.floor(maxRps / 2));
    log(
      `  max rate ${maxRps} req/s (p99 ${burst.latency.p99} ms, ${errorsOf(burst)} errors); soaking at ${targetRps} req/s`,
    );

    let peak = server.rss();
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.rss());
    }, 1000);
    const rssStart = server.rss();
    const slices: SoakSlice[] = [];
    const sliceS = opts.seconds / 5;
    try {
      for (let s = 0; s < 5; s++) {
        const r = await run(sliceS, targetRps);
        slices.push({
          fromS: Math.round(s * sliceS),
          requests: r.requests.total,
          rps: Math.round(r.requests.average),
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors: errorsOf(r),
          rssMb: mb(server.rss()),
        });
        log(`  ${JSON.stringify(slices[slices.length - 1])}`);
        if (!server.alive)
          throw new Error(`the server exited during the soak:\n${server.output().slice(-2000)}`);
      }
    } finally {
      clearInterval(sampler);
    }
    const rssEnd = server.rss();
    await server.stop();
    return {
      maxRps,
      targetRps,
      seconds: opts.seconds,
      requests: slices.reduce((a, s) => a + s.requests, 0),
      errors: slices.reduce((a, s) => a + s.errors, 0),
      slices,
      rssStartMb: mb(rssStart),
      rssEndMb: mb(rssEnd),
      rssPeakMb: mb(Math.max(peak, rssEnd)),
      p99Drift: +(slices[4]!.p99 / Math.max(1, slices[0]!.p99)).toFixed(2),
    };
  } finally {
    await server.kill9();
    await weather.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
