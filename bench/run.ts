// npm run bench -- <name>   (redirect | ingest | countdown | countdown-render | cards | data | writer | contention | sending | series | recs | learn | flows | all)

import { benchIngest } from "./ingest.js";
import { benchRedirect } from "./redirect.js";

const benches: Record<string, () => Promise<unknown>> = {
  redirect: () => benchRedirect(),
  ingest: () => benchIngest(),
  countdown: async () => {
    const { benchCountdown } = await import("./countdown.js");
    return benchCountdown();
  },
  "countdown-render": async () => {
    const { benchCountdownRender } = await import("./countdown-render.js");
    console.log(JSON.stringify(await benchCountdownRender(), null, 2));
  },
  cards: async () => {
    const { benchCards } = await import("./cards.js");
    return benchCards();
  },
  data: async () => {
    const { benchData } = await import("./data.js");
    return benchData();
  },
  writer: async () => {
    const { benchWriter } = await import("./writer.js");
    return benchWriter();
  },
  contention: async () => {
    const { benchContention } = await import("./contention.js");
    return benchContention();
  },
  series: async () => {
    const { benchSeries } = await import("./series.js");
    return benchSeries();
  },
  recs: async () => {
    const { benchRecs } = await import("./recs.js");
    return benchRecs();
  },
  sending: async () => {
    const { benchSending } = await import("./sending.js");
    return benchSending();
  },
  learn: async () => {
    const { benchLearn } = await import("./learn.js");
    return benchLearn();
  },
  flows: async () => {
    const { benchFlows } = await import("./flows.js");
    return benchFlows();
  },
};

const name = process.argv[2] ?? "all";
const selected = name === "all" ? Object.keys(benches) : [name];
for (const n of selected) {
  const run = benches[n];
  if (!run) {
    console.error(`unknown bench "${n}"; one of: ${Object.keys(benches).join(", ")}, all`);
    process.exit(2);
  }
  console.log(`\n== ${n} ==`);
  await run();
}
process.exit(0);
