import { describe, expect, it } from "vitest";
import { Learner } from "../../src/core/learning/learner.js";
import { MemoryLearningStore } from "../../src/core/learning/memory-store.js";
import { type Goal, seededUniform } from "../../src/core/learning/thompson.js";
import { silentLogger } from "../../src/core/ports/index.js";
import type { SplitSettings } from "../../src/core/rules/variants.js";

const settings = (over: Partial<SplitSettings> = {}): SplitSettings => ({
  optimize: "clicks",
  explore: 0.05,
  minSample: 30,
  stickyHours: 168,
  pin: null,
  stopped: false,
  ...over,
});

/**
 * A simulated audience: each impression is a new person shown the arm the learner picks
 * (through the same pick → impression → click path as the routes), who clicks with the
 * arm's true rate. Returns how many impressions each arm got, per step.
 */
async function simulate(rates: number[], seed: number, s: SplitSettings, n = 2000, goal: Goal = "clicks") {
  const learner = new Learner({
    store: new MemoryLearningStore(),
    clock: { now: () => 0 },
    random: () => new Uint8Array(4),
    logger: silentLogger,
    seed,
  });
  const members = rates.map((_, i) => ({ name: `arm${i}`, weight: 1 }));
  const world = seededUniform(seed * 7919 + 1);
  // The block's totals load on first use: let that settle before the audience arrives.
  learner.pick("blk", "hero", members, s, null, 0);
  await new Promise((r) => setTimeout(r, 0));
  const picks: number[] = [];
  let expectedClicks = 0;
  for (let t = 0; t < n; t++) {
    const who = `p${t}@x.com`;
    const i = learner.pick("blk", "hero", members, { ...s, optimize: goal }, who, t);
    picks.push(i);
    learner.impression("blk", members[i]!.name, who, t);
    expectedClicks += rates[i]!;
    if (world() < rates[i]!) learner.click("blk", members[i]!.name, "cta", who, "https://x", "c", t);
  }
  await learner.close();
  return { picks, expectedClicks };
}

describe("Thompson sampling on a simulated audience with known click rates", () => {
  const rates = [0.04, 0.06, 0.12];
  const best = 2;
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];

  it("puts >= 80% of impressions on the best arm within 2,000 impressions, with less regret than a fixed split", async () => {
    const fixedRegret = 2000 * (Math.max(...rates) - rates.reduce((a, b) => a + b, 0) / rates.length);
    for (const seed of seeds) {
      const { picks, expectedClicks } = await simulate(rates, seed, settings());
      // The last quarter of the 2,000: where the traffic has moved to by then.
      const late = picks.slice(1500);
      const onBest = late.filter((i) => i === best).length / late.length;
      expect(onBest, `seed ${seed}: share of impressions 1,501-2,000 on the best arm`).toBeGreaterThanOrEqual(
        0.8,
      );
      const regret = 2000 * Math.max(...rates) - expectedClicks;
      expect(regret, `seed ${seed}: regret vs a fixed split's ${fixedRegret}`).toBeLessThan(fixedRegret);
    }
  });

  it("keeps the exploration floor: every arm is still shown", async () => {
    const { picks } = await simulate(rates, 11, settings({ explore: 0.15 }));
    const late = picks.slice(1000);
    for (let a = 0; a < rates.length; a++)
      expect(late.filter((i) => i === a).length / late.length).toBeGreaterThanOrEqual(
        0.15 / rates.length / 2,
      );
  });

  it("does not move before the minimum sample: fixed weights until each arm has it", async () => {
    const { picks } = await simulate(rates, 3, settings({ minSample: 400 }), 900);
    const early = picks.slice(0, 900);
    for (let a = 0; a < rates.length; a++) {
      const share = early.filter((i) => i === a).length / early.length;
      expect(share).toBeGreaterThan(0.25);
      expect(share).toBeLessThan(0.42);
    }
  });

  it("keeps a person on their arm within the window, and draws again after it", () => {
    const learner = new Learner({
      store: new MemoryLearningStore(),
      clock: { now: () => 0 },
      random: () => new Uint8Array(4),
      logger: silentLogger,
      seed: 5,
    });
    const members = [
      { name: "a", weight: 1 },
      { name: "b", weight: 1 },
    ];
    const s = settings({ minSample: 0, stickyHours: 1 });
    const first = learner.pick("blk", "hero", members, s, "ann@x.com", 0);
    for (let t = 1; t < 50; t++)
      expect(learner.pick("blk", "hero", members, s, "ann@x.com", t * 60_000)).toBe(first);
    const later = new Set<number>();
    for (let k = 0; k < 40; k++)
      later.add(learner.pick("blk", "hero", members, s, "ann@x.com", 3_600_001 + k * 3_600_001));
    expect(later.size).toBe(2);
  });

  it("learns on revenue: the arm that earns more per impression wins even with fewer orders", async () => {
    const learner = new Learner({
      store: new MemoryLearningStore(),
      clock: { now: () => 0 },
      random: () => new Uint8Array(4),
      logger: silentLogger,
      seed: 9,
    });
    const members = [
      { name: "cheap", weight: 1 },
      { name: "premium", weight: 1 },
    ];
    learner.pick("blk", "hero", members, settings(), null, 0);
    await new Promise((r) => setTimeout(r, 0));
    // 1,000 impressions each; cheap: 50 orders of 10, premium: 30 orders of 60.
    for (let i = 0; i < 1000; i++) {
      learner.impression("blk", "cheap", null, 0);
      learner.impression("blk", "premium", null, 0);
    }
    const credit = (arm: string, n: number, revenue: number) =>
      Promise.all(
        Array.from({ length: n }, (_, k) =>
          learner.credit({
            orderId: `${arm}-${k}`,
            blockId: "blk",
            arm,
            slot: "cta",
            product: null,
            campaign: "c",
            flow: null,
            step: null,
            currency: "EUR",
            revenue,
            clickAt: 0,
            at: 1,
          }),
        ),
      );
    await credit("cheap", 50, 10);
    await credit("premium", 30, 60);
    const s = settings({ optimize: "revenue", explore: 0 });
    let premium = 0;
    for (let t = 0; t < 500; t++) if (learner.pick("blk", "hero", members, s, null, t) === 1) premium++;
    expect(premium / 500).toBeGreaterThan(0.95);
    const o = settings({ optimize: "orders", explore: 0 });
    let cheap = 0;
    for (let t = 0; t < 500; t++) if (learner.pick("blk", "hero", members, o, null, t) === 0) cheap++;
    expect(cheap / 500).toBeGreaterThan(0.9);
  });
});

describe("counting", () => {
  const make = () => {
    const store = new MemoryLearningStore();
    const learner = new Learner({
      store,
      clock: { now: () => 0 },
      random: () => new Uint8Array(4),
      logger: silentLogger,
    });
    return { store, learner };
  };
  const totals = async (learner: Learner) => {
    const rows = await learner.counts("blk");
    return {
      impressions: rows.reduce((a, r) => a + r.impressions, 0),
      clicks: rows.reduce((a, r) => a + r.clicks, 0),
    };
  };

  it("counts a person once per arm within the impression window, and one click per slot", async () => {
    const { learner } = make();
    for (let i = 0; i < 3; i++) learner.impression("blk", "a", "ann@x.com", 1000 * i);
    for (let i = 0; i < 2; i++) learner.click("blk", "a", "cta", "ann@x.com", "https://x/1", "c", 5000 + i);
    learner.click("blk", "a", "hero", "ann@x.com", "https://x/2", "c", 6000);
    expect(await totals(learner)).toEqual({ impressions: 1, clicks: 2 });
    // A day later: a new impression.
    learner.impression("blk", "a", "ann@x.com", 86_400_001);
    expect(await totals(learner)).toEqual({ impressions: 2, clicks: 2 });
  });

  it("takes back a click its scanner burst gave away, with its touch", async () => {
    const { learner } = make();
    learner.impression("blk", "a", "bob@x.com", 0);
    learner.click("blk", "a", "cta", "bob@x.com", "https://x/1", "c", 10);
    expect(await learner.lastTouch(["e:bob@x.com"], 0, 100)).toMatchObject({ slot: "cta" });
    learner.unclick("blk/cta", "bob@x.com", 10);
    expect(await totals(learner)).toEqual({ impressions: 1, clicks: 0 });
    expect(await learner.lastTouch(["e:bob@x.com"], 0, 100)).toBeNull();
    // Also once written to the store.
    learner.click("blk", "a", "cta", "bob@x.com", "https://x/1", "c", 20);
    await learner.flush();
    learner.unclick("blk/cta", "bob@x.com", 20);
    expect(await learner.lastTouch(["e:bob@x.com"], 0, 100)).toBeNull();
  });
});
