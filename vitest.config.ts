import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests start real servers on loopback and real SQLite files; a few forks keep them apart.
    pool: "forks",
  },
});
