// npm run bench -- <name>   (redirect | countdown | all)
import { benchRedirect } from "./redirect.js";

const benches: Record<string, () => Promise<unknown>> = {
  redirect: () => benchRedirect(),
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
