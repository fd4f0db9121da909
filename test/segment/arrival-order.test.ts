import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Step, seeded, shopperJourney, shuffled } from "../../src/core/testing/journeys.js";
import type { TestServer } from "../helpers/server.js";
import { mailgunSigned } from "../helpers/webhooks.js";
import { post, startIngestServer } from "./helpers.js";

// The same journeys delivered in shuffled orders (seeded: a failure names its seed) through
// the real routes, in batches of 1–4 as SDKs flush them, ESP events through a signed
// webhook: every profile must read the same as the one delivered in time order.
const MAILGUN_KEY = "key-order-0123456789abcdef0123456789";
const SEEDS = [1, 2, 3, 4, 5, 6];
// Whole seconds: Mailgun reports event times in seconds.
const T0 = Math.floor((Date.now() - 4 * 3_600_000) / 1000) * 1000;

let s: TestServer;
beforeAll(async () => {
  s = await startIngestServer({ OPENTIME_MAILGUN_SIGNING_KEY: MAILGUN_KEY });
});
afterAll(async () => {
  await s.cleanup();
});

const ESP_EVENT = { delivered: "delivered", open: "opened", click: "clicked" } as const;

async function deliver(steps: Step[], seed: number): Promise<void> {
  const rnd = seeded(seed * 7919);
  for (let i = 0; i < steps.length; ) {
    const step = steps[i]!;
    if (step.kind === "esp") {
      const res = await fetch(`${s.url}/v1/webhooks/mailgun`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          mailgunSigned(MAILGUN_KEY, {
            event: ESP_EVENT[step.type],
            id: step.id,
            timestamp: step.at / 1000,
            recipient: step.email,
          }),
        ),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      i++;
      continue;
    }
    const batch: Record<string, unknown>[] = [];
    const size = 1 + Math.floor(rnd() * 4);
    while (i < steps.length && steps[i]!.kind === "segment" && batch.length < size)
      batch.push((steps[i++] as Extract<Step, { kind: "segment" }>).event);
    const res = await post(s, "/v1/batch", { batch });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ success: true });
  }
}

/** What GET /v1/profiles/:id shows, minus what is not the events' doing (ids, write time). */
function comparable(v: any) {
  const { id: _id, updatedAt: _u, identities, engagement, intent, interests, history, ...rest } = v;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const ranked = (list: { id: string; score: number }[]) =>
    list.map((x) => ({ id: x.id, score: round(x.score) })).sort((a, b) => a.id.localeCompare(b.id));
  return {
    ...rest,
    identities: Object.fromEntries(
      Object.entries(identities as Record<string, string[]>).map(([k, ids]) => [k, [...ids].sort()]),
    ),
    // Scores decay between two reads: compared to three decimals.
    engagement: { ...engagement, score: round(engagement.score) },
    intent: { ...intent, score: round(intent.score) },
    interests: { products: ranked(interests.products), categories: ranked(interests.categories) },
    history: history.map((h: any) => ({ ...h })),
  };
}

const profileOf = async (k: string) => {
  const res = await s.api(`/v1/profiles/user-${k}`);
  expect(res.status).toBe(200);
  return (await res.json()) as any;
};

describe("a profile does not depend on the order its events arrive in", () => {
  it("a shopper's journey in time order gives the profile the journey describes", async () => {
    await deliver(shopperJourney("in-order", T0), 0);
    const p = await profileOf("in-order");
    // The first cart was bought; the bag added afterwards is the abandoned cart.
    expect(p.cart.items.map((i: any) => i.productId)).toEqual(["sku-3"]);
    expect(p.purchases).toMatchObject({ count: 1, ltv: { EUR: 80 } });
    expect(p.counts).toMatchObject({ sessions: 3, events: 20, email_delivered: 2 });
    expect(p.intent.score).toBeGreaterThan(0);
    expect(p.traits).toMatchObject({ plan: "pro", first_name: "Ann" });
    expect(p.createdAt).toBe(T0 - 10 * 60_000);
    expect(p.email).toMatchObject({ delivered: 2, opens: 1, clicks: 1 });
    expect(p.wishlist).toEqual(["sku-4"]);
    expect(Object.keys(p.groups)).toEqual(["acme"]);
  });

  it.each(SEEDS)("the same journey shuffled (seed %i) reads the same", async (seed) => {
    const k = `seed-${seed}`;
    await deliver(shuffled(shopperJourney(k, T0), seed), seed);
    const expected = comparable(await profileOf("in-order"));
    const got = comparable(await profileOf(k));
    // Its own ids, the in-order copy's renamed to match.
    expect(JSON.parse(JSON.stringify(got).replaceAll(k, "in-order"))).toEqual(expected);
  });

  it("the defects as found: a late Product Added, a late older order, a late page view", async () => {
    const at = (s: number) => new Date(T0 + s * 1000).toISOString();
    const track = (id: string, s: number, event: string, properties: object) => ({
      type: "track",
      userId: id,
      event,
      properties,
      messageId: `${id}-${event}-${s}`,
      timestamp: at(s),
    });
    // The Order Completed (t+60 s) arrives before the Product Added (t) it bought.
    await post(s, "/v1/batch", {
      batch: [track("late-add", 60, "Order Completed", { order_id: "o", total: 5 })],
    });
    await post(s, "/v1/batch", {
      batch: [track("late-add", 0, "Product Added", { product_id: "p", price: 5 })],
    });
    expect((await (await s.api("/v1/profiles/late-add")).json()).cart).toBeNull();
    // An order from before the cart arrives after it: the newer cart's intent stays.
    await post(s, "/v1/batch", {
      batch: [track("late-order", 60, "Product Added", { product_id: "p", price: 5 })],
    });
    await post(s, "/v1/batch", {
      batch: [track("late-order", 0, "Order Completed", { order_id: "o", total: 5 })],
    });
    const lateOrder = (await (await s.api("/v1/profiles/late-order")).json()) as any;
    expect(lateOrder.intent.score).toBeGreaterThan(0);
    expect(lateOrder.cart.items).toHaveLength(1);
    // Two visits an hour apart, then a page view from a third visit before them both.
    const page = (id: string, s: number) => ({
      type: "page",
      userId: id,
      messageId: `${id}-p${s}`,
      timestamp: at(s),
    });
    await post(s, "/v1/batch", { batch: [page("late-page", 3600), page("late-page", 7200)] });
    await post(s, "/v1/batch", { batch: [page("late-page", 0)] });
    const latePage = (await (await s.api("/v1/profiles/late-page")).json()) as any;
    expect(latePage.counts.sessions).toBe(3);
    expect(latePage.session).toMatchObject({ startedAt: T0 + 7200_000, events: 1 });
  });
});
