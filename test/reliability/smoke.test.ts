import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runFuzz } from "../../bench/reliability/fuzz.js";
import { routesOf } from "../../bench/reliability/fuzz-schema.js";
import { runKill } from "../../bench/reliability/kill.js";
import { startServer } from "../../bench/reliability/server.js";
import { runSoak } from "../../bench/reliability/soak.js";
import { serverEnv } from "../../bench/reliability/world.js";
import doc from "../../docs/openapi.json" with { type: "json" };
import { tempDir } from "../helpers/server.js";

/**
 * `npm run reliability` in small (one kill trial, 300 fuzz inputs, a 10 s soak), from source,
 * so CI proves the harness runs end to end and its claims hold where they are already true.
 * The fuzz's own findings are `npm run reliability`'s business (README, Reliability); here
 * it must run every input and reach every documented route. Budgets are derived from a
 * server start measured here, as every part starts servers.
 */
const dir = tempDir();
const probe = await startServer({ dataDir: dir, env: serverEnv("http://127.0.0.1:9"), fromSource: true });
const startMs = probe.startMs;
await probe.stop();
rmSync(dir, { recursive: true, force: true });
const budget = (starts: number, workMs: number) => workMs + starts * Math.max(startMs, 1000) * 3;

describe("npm run reliability, small", () => {
  it(
    "kill -9: nothing acknowledged lost, no corruption",
    async () => {
      const k = await runKill({ seed: 7, trials: 1, fromSource: true, minLoadMs: 800, maxLoadMs: 1200 });
      const t = k.totals;
      expect(t.ackedEvents).toBeGreaterThan(0);
      expect(t.ackedHits).toBeGreaterThan(0);
      expect(t.lostEvents, JSON.stringify(k.trials[0]?.lost.events.slice(0, 5))).toBe(0);
      expect(t.lostLinksBlocksProducts, JSON.stringify(k.trials[0]?.lost)).toBe(0);
      expect(t.duplicatedHits).toBe(0);
      expect(t.corruptTrials, JSON.stringify(k.trials[0])).toBe(0);
    },
    budget(2, 20_000),
  );

  it(
    "fuzz: every input sent, every documented route reached",
    async () => {
      const f = await runFuzz({ seed: 7, n: 300, fromSource: true });
      expect(f.inputs).toBe(300);
      expect(f.routes).toBe(routesOf(doc).length);
      expect(f.routesHit).toBe(f.routes);
      expect(f.requests).toBeGreaterThanOrEqual(300);
      expect(f.seedsRefused).toEqual([]);
      expect(Object.keys(f.statuses)).toContain("200");
      // The image and redirect checks had answers to check.
      expect(f.checked.images).toBeGreaterThan(0);
      expect(f.checked.redirects).toBeGreaterThan(0);
    },
    budget(4, 30_000),
  );

  it(
    "soak: measures a max rate, then holds half of it without errors",
    async () => {
      const s = await runSoak({ seconds: 5, burstSeconds: 2, connections: 8, fromSource: true });
      expect(s.maxRps).toBeGreaterThan(0);
      expect(s.slices).toHaveLength(5);
      expect(s.requests).toBeGreaterThan(0);
      expect(s.errors).toBe(0);
    },
    budget(1, 20_000),
  );
});
