import { describe, expect, it } from "vitest";
import { MemoryLearningStore } from "../../src/core/learning/memory-store.js";
import { featuresOf, Scorer } from "../../src/core/learning/scores.js";
import { seededUniform } from "../../src/core/learning/thompson.js";
import { silentLogger } from "../../src/core/ports/index.js";
import type { StoredEvent } from "../../src/core/ports/profiles.js";
import { type IngestEvent, parseEvent } from "../../src/core/segment/event.js";
import { DAY, profileKit } from "../../src/core/testing/profile-kit.js";

/**
 * A synthetic shop of `people` over 60 days with a planted signal: each person has a hidden
 * buying rate; the likelier buyers browse more, fill carts and order more. Events are
 * ingested day by day through the real ProfileService (in-memory store).
 */
async function shop(people: number, seed: number) {
  const kit = profileKit(Date.parse("2026-01-01T00:00:00Z"));
  const u = seededUniform(seed);
  // The in-memory store scans every event per read: each person's stored events are kept
  // here as they are committed instead.
  const byPerson = new Map<string, StoredEvent[]>();
  const transact = kit.store.transact.bind(kit.store);
  kit.store.transact = (fn) =>
    transact((tx) =>
      fn({
        ...tx,
        commit: (w) => {
          tx.commit(w);
          for (const e of w.events) {
            let list = byPerson.get(e.profileId);
            if (!list) {
              list = [];
              byPerson.set(e.profileId, list);
            }
            list.push(e);
          }
        },
      }),
    );
  const theta = Array.from({ length: people }, () => (u() < 0.3 ? 0.6 + 0.4 * u() : 0.1 * u()));
  const ids = new Set<string>();
  let msg = 0;
  for (let day = 0; day < 60; day++) {
    const batch: IngestEvent[] = [];
    const at = (h: number) => kit.now + h * 3_600_000;
    for (let i = 0; i < people; i++) {
      const t = theta[i]!;
      const userId = `u${i}`;
      const push = (e: Record<string, unknown>, h: number) => {
        const ev = parseEvent(
          { userId, messageId: `m${++msg}`, timestamp: new Date(at(h)).toISOString(), ...e },
          { receivedAt: kit.now + DAY, newId: () => `g${++msg}` },
        );
        if ("code" in ev) throw new Error(ev.message);
        batch.push(ev);
      };
      if (day === 0) push({ type: "identify", traits: { email: `${userId}@shop.test` } }, 0);
      if (u() < 0.05 + 0.5 * t)
        push({ type: "track", event: "Product Viewed", properties: { product_id: `p${i % 40}` } }, 9);
      if (u() < 0.25 * t)
        push(
          { type: "track", event: "Product Added", properties: { product_id: `p${i % 40}`, price: 30 } },
          10,
        );
      if (u() < 0.1 * t)
        push(
          {
            type: "track",
            event: "Order Completed",
            properties: { order_id: `o${msg}`, total: 30 + 50 * t, currency: "EUR" },
          },
          11,
        );
    }
    kit.advance(DAY);
    const res = await kit.service.ingest(batch);
    for (const id of res.profileIds ?? []) if (id) ids.add(id);
  }
  const source = {
    profileIds: async (limit: number) => [...ids].slice(0, limit),
    events: async (id: string) => byPerson.get(id) ?? [],
  };
  return { kit, source };
}

describe("predictive scores", () => {
  it("learns purchase propensity from a synthetic shop with planted signal: held-out AUC above 0.75, calibrated", async () => {
    const { kit, source } = await shop(1500, 42);
    const scorer = new Scorer(new MemoryLearningStore(), silentLogger, source);
    const result = await scorer.train(kit.now);
    expect(result.propensity.trained, JSON.stringify(result.propensity)).toBe(true);
    if (!result.propensity.trained) return;
    const { auc, brier, positives, examples } = result.propensity.score;
    expect(auc).toBeGreaterThan(0.75);
    // Calibrated: the mean predicted probability is near the observed rate.
    expect(brier).toBeLessThan((positives / examples) * (1 - positives / examples));
    const described = (await scorer.describe()) as any;
    expect(described.propensity).toMatchObject({ source: "model", examples });
    expect(described.propensity.auc).toBeGreaterThan(0.75);

    const p = (await kit.service.find("u1"))!;
    const s = await scorer.scoresOf(p, kit.now);
    expect(s.source.propensity).toBe("model");
    expect(s.propensity).toBeGreaterThanOrEqual(0);
    expect(s.propensity).toBeLessThanOrEqual(1);
    expect(featuresOf(p, kit.now)).toHaveLength(10);
  }, 120_000);

  it("refuses to train on too little history and keeps the heuristic scores, saying so", async () => {
    const { kit, source } = await shop(40, 7);
    const scorer = new Scorer(new MemoryLearningStore(), silentLogger, source);
    const result = await scorer.train(kit.now);
    expect(result.propensity).toMatchObject({ trained: false });
    expect(result.churnRisk).toMatchObject({ trained: false });
    if (!result.propensity.trained) expect(result.propensity.reason).toMatch(/too little history/);
    const described = (await scorer.describe()) as any;
    expect(described.propensity).toMatchObject({ source: "heuristic", lastAttempt: { trained: false } });
    const s = await scorer.scoresOf((await kit.service.find("u1"))!, kit.now);
    expect(s.source).toEqual({ propensity: "heuristic", churnRisk: "heuristic" });
  }, 60_000);
});

describe("score conditions", () => {
  it("propensity and churnRisk ranges read the person's scores; false without them", async () => {
    const { compileCondition } = await import("../../src/core/rules/evaluate.js");
    const facts = (scores: { propensity: number; churnRisk: number } | null, withScores = true) => ({
      now: 0,
      devices: () => new Set<never>(),
      profile: async () => null,
      weather: async () => null,
      bucket: () => 0.5,
      ...(withScores && { scores: async () => scores }),
    });
    const hot = compileCondition({ propensity: { atLeast: 0.3 } });
    const risky = compileCondition({ churnRisk: { atLeast: 0.2, below: 0.6 } });
    expect(await hot(facts({ propensity: 0.31, churnRisk: 0.1 }))).toBe(true);
    expect(await hot(facts({ propensity: 0.29, churnRisk: 0.1 }))).toBe(false);
    expect(await risky(facts({ propensity: 0, churnRisk: 0.6 }))).toBe(false);
    expect(await risky(facts({ propensity: 0, churnRisk: 0.2 }))).toBe(true);
    expect(await hot(facts(null))).toBe(false);
    expect(await hot(facts(null, false))).toBe(false);
  });
});
