import { defineConfig } from "vitest/config";
import { measureStart } from "./test/helpers/entry.js";

// Default timeouts in starts of the server, measured as the run begins, so a loaded machine
// gets proportionally longer ones; never shorter than the 20 s / 30 s they were. Tests that
// start processes budget per file (test/helpers/process.ts).
const startMs = await measureStart();

const SMOKE = "test/reliability/smoke.test.ts";

export default defineConfig({
  test: {
    testTimeout: Math.max(20_000, Math.ceil(16 * startMs)),
    hookTimeout: Math.max(30_000, Math.ceil(24 * startMs)),
    // Tests start real servers on loopback and real SQLite files; a few forks keep them apart.
    pool: "forks",
    provide: { startMs }, // test/helpers/budget.ts
    projects: [
      {
        extends: true,
        test: { name: "suite", include: ["src/**/*.test.ts", "test/**/*.test.ts"], exclude: [SMOKE] },
      },
      // The reliability harness loads the machine on purpose: it runs after the rest, so its
      // load never counts against another test's time budget.
      { extends: true, test: { name: "reliability", include: [SMOKE], sequence: { groupOrder: 1 } } },
    ],
  },
});
