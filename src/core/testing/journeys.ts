/**
 * Real customer journeys as the events a shop and its ESP send, for tests that deliver them
 * in every order: a profile must come out the same whatever order they arrive in.
 */

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;

/** One step: a Segment event (as a client sends it) or an ESP event (as a webhook reports it). */
export type Step =
  | { kind: "segment"; event: Record<string, unknown> }
  | { kind: "esp"; type: "delivered" | "open" | "click"; email: string; at: number; id: string };

/**
 * A shopper over one afternoon, ids suffixed with `k` so several copies can live in one
 * store. Anonymous browsing, a cart, sign-in (merging the anonymous profile and one an ESP
 * event made for the address), a purchase; two hours later an email, a second device, a
 * new cart left behind (an abandoned cart), a partial refund. Three sessions.
 */
export function shopperJourney(k: string, t0: number): Step[] {
  const anon = `anon-${k}`;
  const anon2 = `anon2-${k}`;
  const user = `user-${k}`;
  const email = `shopper-${k}@example.com`;
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  let n = 0;
  const seg = (ms: number, e: Record<string, unknown>): Step => ({
    kind: "segment",
    event: { messageId: `${k}-m${++n}`, timestamp: at(ms), ...e },
  });
  const track = (ms: number, ids: object, event: string, properties: object = {}) =>
    seg(ms, { type: "track", ...ids, event, properties });
  const esp = (ms: number, type: "delivered" | "open" | "click"): Step => ({
    kind: "esp",
    type,
    email,
    at: t0 + ms,
    id: `${k}-esp-${++n}`,
  });
  const runner = { product_id: "sku-1", name: "Runner", category: "Shoes", price: 80 };
  const cap = { product_id: "sku-2", name: "Cap", category: "Hats", price: 20 };
  const bag = { product_id: "sku-3", name: "Bag", category: "Bags", price: 50 };
  return [
    // Session 1: anonymous browsing, a cart, sign-in, a purchase.
    esp(-10 * MIN, "delivered"),
    seg(0, { type: "page", anonymousId: anon, name: "Home", properties: { category: "Shoes" } }),
    track(30 * S, { anonymousId: anon }, "Product Viewed", runner),
    track(60 * S, { anonymousId: anon }, "Product Added", { cart_id: "c1", ...runner }),
    track(90 * S, { anonymousId: anon }, "Product Viewed", cap),
    seg(120 * S, {
      type: "identify",
      userId: user,
      anonymousId: anon,
      traits: { email, first_name: "Ann", plan: "free" },
    }),
    track(150 * S, { userId: user }, "Product Added", { cart_id: "c1", ...cap, quantity: 2 }),
    track(180 * S, { userId: user }, "Product Removed", { cart_id: "c1", ...cap, quantity: 1 }),
    track(240 * S, { userId: user }, "Checkout Started", {
      order_id: "o1",
      value: 100,
      products: [runner, cap],
    }),
    track(270 * S, { userId: user }, "Payment Info Entered", { order_id: "o1" }),
    track(300 * S, { userId: user }, "Order Completed", {
      order_id: "o1",
      total: 100,
      currency: "EUR",
      products: [runner, cap],
    }),
    seg(330 * S, { type: "page", userId: user, name: "Thanks" }),
    // Session 2, two hours later: the newsletter, a second device, a new cart left behind.
    esp(2 * HOUR, "delivered"),
    esp(2 * HOUR + MIN, "open"),
    esp(2 * HOUR + 2 * MIN, "click"),
    seg(2 * HOUR + 3 * MIN, {
      type: "page",
      anonymousId: anon2,
      name: "Bags",
      properties: { category: "Bags" },
    }),
    track(2 * HOUR + 4 * MIN, { anonymousId: anon2 }, "Product Viewed", bag),
    seg(2 * HOUR + 5 * MIN, { type: "identify", userId: user, anonymousId: anon2, traits: { plan: "pro" } }),
    seg(2 * HOUR + 6 * MIN, { type: "group", userId: user, groupId: "acme", traits: { name: "Acme" } }),
    track(2 * HOUR + 7 * MIN, { userId: user }, "Product Added", { cart_id: "c2", ...bag }),
    track(2 * HOUR + 8 * MIN, { userId: user }, "Product Added to Wishlist", { product_id: "sku-4" }),
    track(2 * HOUR + 20 * MIN, { userId: user }, "Order Refunded", { order_id: "o1", total: 20 }),
    // Session 3, after 40 idle minutes: one more look.
    seg(3 * HOUR, { type: "page", userId: user, name: "Home" }),
    track(3 * HOUR + 10 * MIN, { userId: user }, "Product Viewed", runner),
  ];
}

/** A small seeded generator (mulberry32): the same seed, the same sequence. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A copy of `list` in an order decided by `seed` (Fisher–Yates). */
export function shuffled<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  const rnd = seeded(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
