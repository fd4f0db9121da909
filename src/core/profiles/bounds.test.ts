import { describe, expect, it } from "vitest";
import type { EmailEvent, Profile } from "../ports/profiles.js";
import type { SegmentFacts } from "../segment/event.js";
import { applyEmail, applySegment } from "./apply.js";
import { serializeProfile } from "./bounds.js";
import {
  emptyProfile,
  MAX_CART_ITEMS,
  MAX_CURRENCIES,
  MAX_GROUP_TRAITS_CHARS,
  MAX_GROUPS,
  MAX_IDS,
  MAX_INTERESTS,
  MAX_ORDERS,
  MAX_PROFILE_BYTES,
  MAX_SESSION_VIEWS,
  MAX_SUPPRESSIONS,
  MAX_TRAITS,
  MAX_TRAITS_CHARS,
  MAX_WISHLIST,
  parseProfile,
  pushUnique,
} from "./model.js";

const facts = (over: Partial<SegmentFacts>, at: number): SegmentFacts => ({
  type: "track",
  event: null,
  groupId: null,
  properties: {},
  traits: {},
  ...over,
  timestamp: at,
});
const bytes = (json: string) => new TextEncoder().encode(json).length;

/**
 * Every collection filled far past its cap, every string as long as it is kept, made of
 * `char` (ASCII, a CJK character: 3 bytes, or a control character JSON writes as 6).
 */
function fullest(char: string): Profile {
  const long = (tag: string | number, n = 200) => `${tag}`.padEnd(n, char).slice(0, n);
  const p = emptyProfile("p_max", 1);
  let at = 1;
  for (let i = 0; i < 2 * MAX_IDS; i++) {
    pushUnique(p.userIds, long(`u${i}`, 256));
    pushUnique(p.anonymousIds, long(`a${i}`, 256));
    pushUnique(p.recipientIds, long(`r${i}`, 256));
    pushUnique(p.emails, `${long(`e${i}`, 64)}@${"d".repeat(255)}`);
  }
  for (let i = 0; i < 2 * MAX_TRAITS; i++)
    applySegment(p, facts({ type: "identify", traits: { [long(`t${i}`, 100)]: long(i, 1000) } }, ++at));
  for (let i = 0; i < 2 * MAX_GROUPS; i++) {
    const traits = Object.fromEntries(
      Array.from({ length: 20 }, (_, k) => [long(`k${k}`, 50), long(k, 500)]),
    );
    applySegment(p, facts({ type: "group", groupId: long(`g${i}`, 256), traits }, ++at));
  }
  const product = (i: number) => ({
    product_id: long(`p${i}`),
    sku: long(`s${i}`),
    name: long(`n${i}`),
    category: long(`c${i}`),
    variant: long(`v${i}`),
    price: 1e15 + 0.123456789,
    quantity: 1e15,
  });
  const lists = Math.max(MAX_CART_ITEMS, MAX_INTERESTS, MAX_SESSION_VIEWS, MAX_WISHLIST);
  for (let i = 0; i < 2 * lists; i++) {
    applySegment(p, facts({ type: "page" }, ++at));
    for (const event of ["Product Viewed", "Product Added", "Product Added to Wishlist"])
      applySegment(p, facts({ event, properties: product(i) }, ++at));
  }
  const cart = p.cart;
  for (let i = 0; i < 2 * Math.max(MAX_ORDERS, MAX_CURRENCIES); i++) {
    const properties = { order_id: long(`o${i}`), total: 1e15, currency: long(`C${i}`, 8) };
    applySegment(p, facts({ event: "Order Completed", properties }, ++at));
  }
  p.cart = cart; // the orders emptied it: the full cart back
  for (let i = 0; i < 2 * MAX_SUPPRESSIONS; i++) {
    const email = `${long(`b${i}`, 64)}@${"d".repeat(255)}`;
    const e: EmailEvent = { provider: long("esp", 40), type: "complaint", email, at: ++at, id: `${i}` };
    applyEmail(p, e, email);
  }
  return p;
}

describe("profile bounds", () => {
  it("every collection stops at its cap", () => {
    const p = fullest("x");
    expect(Object.keys(p.traits).length).toBeLessThanOrEqual(MAX_TRAITS);
    expect(JSON.stringify(p.traits).length).toBeLessThanOrEqual(MAX_TRAITS_CHARS);
    expect(Object.keys(p.groups)).toHaveLength(MAX_GROUPS);
    for (const g of Object.values(p.groups))
      expect(JSON.stringify(g.traits).length).toBeLessThanOrEqual(MAX_GROUP_TRAITS_CHARS);
    expect(Object.keys(p.purchases.ltv)).toHaveLength(MAX_CURRENCIES);
    expect(Object.keys(p.suppressions)).toHaveLength(MAX_SUPPRESSIONS);
    expect(p.cart!.items).toHaveLength(MAX_CART_ITEMS);
    expect(p.purchases.orders).toHaveLength(MAX_ORDERS);
    expect(p.wishlist).toHaveLength(MAX_WISHLIST);
    expect(p.session!.views).toHaveLength(MAX_SESSION_VIEWS);
    expect(Object.keys(p.interests.products)).toHaveLength(MAX_INTERESTS);
    expect(p.userIds).toHaveLength(MAX_IDS);
  });

  it.each([
    ["ASCII", "x"],
    ["CJK (3 bytes each)", "東"],
    ["control characters (6 bytes each in JSON)", "\u0001"],
  ])("the fullest profile in %s is stored in at most MAX_PROFILE_BYTES, suppressions whole", (_, char) => {
    const p = fullest(char);
    const json = serializeProfile(p);
    expect(bytes(json)).toBeLessThanOrEqual(MAX_PROFILE_BYTES);
    const stored = parseProfile(json);
    expect(stored.suppressions).toEqual(p.suppressions);
    expect(stored.counts).toEqual(p.counts);
    // A trim keeps the newest: the last order, the last cart line.
    expect(stored.purchases.orders[0]).toEqual(p.purchases.orders[0]);
    expect(stored.cart!.items.at(-1)).toEqual(p.cart!.items.at(-1));
  });

  it("an ordinary profile is stored as it is", () => {
    const p = emptyProfile("p", 1);
    for (let i = 0; i < 20; i++) {
      applySegment(
        p,
        facts({ event: "Product Added", properties: { product_id: `sku-${i}`, price: 9 } }, 10 + i),
      );
      applySegment(p, facts({ type: "group", groupId: `g${i}`, traits: { name: `G${i}` } }, 10 + i));
    }
    expect(serializeProfile(p)).toBe(JSON.stringify(p));
  });

  it("the suppressions kept past the cap are the most recent", () => {
    const p = emptyProfile("p", 1);
    for (let i = 0; i < MAX_SUPPRESSIONS + 5; i++) {
      const email = `a${i}@x.com`;
      applyEmail(p, { provider: "sg", type: "unsubscribe", email, at: 1000 + i, id: `${i}` }, email);
    }
    expect(Object.keys(p.suppressions)).toHaveLength(MAX_SUPPRESSIONS);
    expect(p.suppressions["a0@x.com"]).toBeUndefined();
    expect(p.suppressions[`a${MAX_SUPPRESSIONS + 4}@x.com`]).toBeDefined();
  });
});
