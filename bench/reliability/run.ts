// npm run reliability -- [all|kill|fuzz|soak] [--seed N] [--trials N] [--n N] [--only I]
//                        [--seconds N] [--fuzz-max-seconds N] [--from-source]
// Defaults: all parts, seed 1, 10 kill trials, 10,000 fuzz inputs, a 300 s soak.

import { parseArgs } from "node:util";
import { runFuzz } from "./fuzz.js";
import { runKill } from "./kill.js";
import { runSoak } from "./soak.js";
import { printResults, type Results } from "./summary.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: "string", default: "1" },
    trials: { type: "string", default: "10" },
    n: { type: "string", default: "10000" },
    only: { type: "string" },
    seconds: { type: "string", default: "300" },
    "fuzz-max-seconds": { type: "string", default: "270" },
    "from-source": { type: "boolean", default: false },
  },
});

const PARTS = ["kill", "fuzz", "soak"] as const;
const part = positionals[0] ?? "all";
if (part !== "all" && !(PARTS as readonly string[]).includes(part)) {
  console.error(`unknown part "${part}"; one of: ${PARTS.join(", ")}, all`);
  process.exit(2);
}
const selected = (p: (typeof PARTS)[number]) => part === "all" || part === p;
const seed = Number(values.seed);
const fromSource = values["from-source"];
const log = (s: string) => console.log(s);
const results: Results = { at: new Date().toISOString(), seed };
const t0 = performance.now();

if (selected("kill")) {
  console.log(`\n== kill -9 during mixed load (${values.trials} trials) ==`);
  results.kill = await runKill({ seed, trials: Number(values.trials), fromSource, log });
}
if (selected("fuzz")) {
  console.log(
    `\n== fuzz (${values.only !== undefined ? `input ${values.only}` : `${values.n} inputs`}, seed ${seed}) ==`,
  );
  results.fuzz = await runFuzz({
    seed,
    n: Number(values.n),
    only: values.only === undefined ? undefined : Number(values.only),
    maxSeconds: Number(values["fuzz-max-seconds"]),
    fromSource,
    log,
  });
}
if (selected("soak")) {
  console.log(`\n== soak (${values.seconds} s at half the max rate) ==`);
  results.soak = await runSoak({ seconds: Number(values.seconds), fromSource, log });
}
printResults(results);
console.log(`\n${Math.round((performance.now() - t0) / 1000)} s in all`);
process.exit(0);
