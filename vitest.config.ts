import { defineConfig } from "vitest/config";

const SMOKE = "test/reliability/smoke.test.ts";

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests start real servers on loopback and real SQLite files; a few forks keep them apart.
    pool: "forks",
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
