import { execFileSync, fork } from "node:child_process";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { ROOT, report } from "./lib.js";

/**
 * Sending through SMTP (issue 21): sends/s and CPU per send of opentime's Messenger (the
 * decision: profile, caps, quiet hours; Liquid; the wrap with the person's u and proof; the
 * outbox's writes to SQLite; nodemailer) against a bare nodemailer loop sending the same
 * rendered email through the same pool (OPENTIME_SMTP_POOL connections, same concurrency),
 * alternated in one process, to one SMTP server in its own process. Both run compiled
 * (esbuild), never through tsx. Target: opentime >= 0.7x the bare loop.
 */
export async function benchSending() {
  const N = Number(process.env.BENCH_SENDS ?? 2_000);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
  const POOL = Number(process.env.BENCH_SMTP_POOL ?? 5);
  const CONCURRENCY = Number(process.env.BENCH_SEND_CONCURRENCY ?? 64);
  const out = (name: string) => join(ROOT, "dist/bench", `${name}.js`);
  // The rounds' bundle starts its sends writer thread from the file beside it.
  for (const [name, src] of [
    ["sending-rounds", "bench/sending-rounds.ts"],
    ["smtp-sink", "bench/smtp-sink.ts"],
    ["sends-writer.worker", "src/node/sending/sends-writer.worker.ts"],
  ] as const)
    buildSync({
      entryPoints: [join(ROOT, src)],
      outfile: out(name),
      bundle: true,
      packages: "external",
      format: "esm",
      platform: "node",
      logLevel: "warning",
    });

  const sink = fork(out("smtp-sink"), [], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve) =>
    sink.stdout!.once("data", (d: Buffer) => resolve(JSON.parse(d.toString()).port)),
  );
  try {
    const lines = execFileSync(
      process.execPath,
      [
        out("sending-rounds"),
        `smtp://127.0.0.1:${port}`,
        String(N),
        String(ROUNDS),
        String(POOL),
        String(CONCURRENCY),
      ],
      { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 16 * 1024 * 1024 },
    )
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const rounds = lines.filter((l) => l.side) as {
      round: number;
      side: "bare" | "opentime";
      sendsPerS: number;
      cpuUsPerSend: number;
    }[];
    const received = await new Promise<number>((resolve) => {
      sink.once("message", (m: { received: number }) => resolve(m.received));
      sink.send("count");
    });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const of = (side: string) => rounds.filter((r) => r.side === side);
    const bare = {
      sendsPerS: median(of("bare").map((r) => r.sendsPerS)),
      cpu: median(of("bare").map((r) => r.cpuUsPerSend)),
    };
    const ot = {
      sendsPerS: median(of("opentime").map((r) => r.sendsPerS)),
      cpu: median(of("opentime").map((r) => r.cpuUsPerSend)),
    };
    report("sending", rounds, {
      sendsPerRound: N,
      rounds: ROUNDS,
      pool: POOL,
      concurrency: CONCURRENCY,
      bareSendsPerS: bare.sendsPerS,
      opentimeSendsPerS: ot.sendsPerS,
      ratio: +(ot.sendsPerS / bare.sendsPerS).toFixed(3),
      // Each opentime round against the bare round just before it: the machine's speed
      // drifts between rounds, less within a pair.
      medianPairRatio: +median(
        of("opentime").map((r) => r.sendsPerS / of("bare").find((b) => b.round === r.round)!.sendsPerS),
      ).toFixed(3),
      target: 0.7,
      bareCpuUsPerSend: bare.cpu,
      opentimeCpuUsPerSend: ot.cpu,
      smtpReceived: received,
      attempts: lines.find((l) => l.counts)?.counts,
    });
  } finally {
    sink.kill();
  }
}
