import { describe, expect, it } from "vitest";
import type { Attribution, CountDelta, LearningStore, Touch } from "../../src/core/ports/learning.js";

/** One contract every LearningStore adapter passes: the in-memory one and SQLite. */
export function learningStoreContract(
  name: string,
  open: () => Promise<{ store: LearningStore; reopen?: () => Promise<LearningStore> }>,
) {
  const delta = (over: Partial<CountDelta>): CountDelta => ({
    blockId: "blk",
    arm: "a",
    slot: "",
    currency: "",
    impressions: 0,
    clicks: 0,
    orders: 0,
    revenue: 0,
    ...over,
  });
  const touch = (over: Partial<Touch>): Touch => ({
    key: "e:ann@x.com",
    blockId: "blk",
    arm: "a",
    slot: "cta",
    url: "https://shop.example/p/1",
    campaign: "blk",
    at: 100,
    ...over,
  });
  const order = (over: Partial<Attribution>): Attribution => ({
    orderId: "m1",
    blockId: "blk",
    arm: "a",
    slot: "cta",
    product: "p1",
    campaign: "flow:welcome:2",
    flow: "welcome",
    step: "2",
    currency: "EUR",
    revenue: 40,
    clickAt: 100,
    at: 200,
    ...over,
  });
  const sorted = <T extends { arm: string; slot: string; currency: string }>(rows: T[]) =>
    rows.sort((x, y) => `${x.arm}/${x.slot}/${x.currency}`.localeCompare(`${y.arm}/${y.slot}/${y.currency}`));

  describe(`LearningStore contract: ${name}`, () => {
    it("adds counters per block, arm, slot and currency, and keeps them across a reopen", async () => {
      const { store, reopen } = await open();
      await store.add([
        delta({ impressions: 2 }),
        delta({ impressions: 1 }),
        delta({ slot: "cta", clicks: 1 }),
        delta({ arm: "b", impressions: 1 }),
        delta({ blockId: "other", impressions: 5 }),
      ]);
      await store.add([delta({ slot: "cta", currency: "EUR", orders: 1, revenue: 12.5 })]);
      const want = [
        delta({ impressions: 3 }),
        delta({ slot: "cta", clicks: 1 }),
        delta({ slot: "cta", currency: "EUR", orders: 1, revenue: 12.5 }),
        delta({ arm: "b", impressions: 1 }),
      ];
      expect(sorted(await store.counts("blk"))).toEqual(sorted(want));
      if (reopen) expect(sorted(await (await reopen()).counts("blk"))).toEqual(sorted(want));
    });

    it("keeps each person's newest touch and answers it within the window", async () => {
      const { store } = await open();
      await store.touch([
        touch({ at: 100 }),
        touch({ at: 300, slot: "hero" }),
        touch({ at: 200, slot: "old" }),
      ]);
      await store.touch([touch({ key: "e:bob@x.com", at: 50 })]);
      const got = await store.touches(["e:ann@x.com", "e:bob@x.com", "e:nobody@x.com"], 60);
      expect(got).toEqual([touch({ at: 300, slot: "hero" })]);
      await store.forgetTouch("e:ann@x.com", 299); // not that one: kept
      expect(await store.touches(["e:ann@x.com"], 0)).toHaveLength(1);
      await store.forgetTouch("e:ann@x.com", 300);
      expect(await store.touches(["e:ann@x.com"], 0)).toEqual([]);
    });

    it("credits an order once per block, with its counters", async () => {
      const { store } = await open();
      expect(await store.attribute(order({}))).toBe(true);
      expect(await store.attribute(order({ revenue: 99 }))).toBe(false);
      expect(await store.attribute(order({ orderId: "m2", at: 300, currency: "USD", revenue: 5 }))).toBe(
        true,
      );
      expect(await store.attributions("blk", 10)).toEqual([
        order({ orderId: "m2", at: 300, currency: "USD", revenue: 5 }),
        order({}),
      ]);
      expect(await store.attributions("blk", 1)).toHaveLength(1);
      expect(sorted(await store.counts("blk"))).toEqual(
        sorted([
          delta({ slot: "cta", currency: "EUR", orders: 1, revenue: 40 }),
          delta({ slot: "cta", currency: "USD", orders: 1, revenue: 5 }),
        ]),
      );
    });

    it("erases a person's touches, prunes old ones, and forgets a deleted block", async () => {
      const { store } = await open();
      await store.touch([
        touch({}),
        touch({ key: "e:bob@x.com", at: 10 }),
        touch({ key: "r:9", blockId: "keep", at: 500 }),
      ]);
      expect(await store.eraseKeys(["e:ann@x.com", "e:nobody@x.com"])).toBe(1);
      expect(await store.pruneTouches(50)).toBe(1);
      expect(await store.touches(["r:9"], 0)).toHaveLength(1);
      await store.add([delta({ impressions: 1 }), delta({ blockId: "keep", impressions: 1 })]);
      await store.attribute(order({}));
      await store.deleteBlock("blk");
      expect(await store.counts("blk")).toEqual([]);
      expect(await store.attributions("blk", 10)).toEqual([]);
      expect(await store.counts("keep")).toHaveLength(1);
    });

    it("saves and loads a model by name", async () => {
      const { store } = await open();
      expect(await store.loadModel("propensity")).toBeNull();
      await store.saveModel("propensity", '{"w":[1]}', 5);
      await store.saveModel("propensity", '{"w":[2]}', 6);
      expect(await store.loadModel("propensity")).toEqual({ json: '{"w":[2]}', at: 6 });
    });
  });
}
