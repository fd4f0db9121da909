import { describe, expect, it } from "vitest";
import { parseFeed } from "../../src/core/catalog/feed.js";
import type { EmailEvent, Profile } from "../../src/core/ports/profiles.js";
import { applyEmail, applySegment } from "../../src/core/profiles/apply.js";
import { mergeInto } from "../../src/core/profiles/merge.js";
import { emptyProfile, parseProfile } from "../../src/core/profiles/model.js";
import type { IngestEvent } from "../../src/core/segment/event.js";
import { normaliseBrevo } from "../../src/core/webhooks/brevo.js";
import { normaliseSendgrid } from "../../src/core/webhooks/sendgrid.js";

const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
const protoNames = () => Object.getOwnPropertyNames(Object.prototype).sort();
const before = protoNames();

/** Keys of a map as stored and read back (JSON), sorted. */
const keysOf = (m: object) => Object.keys(JSON.parse(JSON.stringify(m))).sort();

function event(over: Partial<IngestEvent>): IngestEvent {
  return {
    type: "track",
    messageId: "m",
    userId: "u",
    anonymousId: null,
    previousId: null,
    groupId: null,
    event: null,
    properties: {},
    traits: {},
    context: {},
    timestamp: 1_000,
    receivedAt: 1_000,
    body: "{}",
    ...over,
  };
}

/** Properties as JSON.parse builds them from a request: "__proto__" is an own key there. */
const json = (o: Record<string, unknown>) =>
  JSON.parse(
    `{${Object.entries(o)
      .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
      .join(",")}}`,
  ) as Record<string, unknown>;

describe("user strings named like Object.prototype's members", () => {
  it("are ordinary keys of every profile map, and Object.prototype is untouched", () => {
    let p: Profile = emptyProfile("p", 1_000);
    let at = 1_000;
    for (const n of NAMES) {
      at += 1_000;
      applySegment(
        p,
        event({ event: "Product Viewed", properties: json({ product_id: n, category: n }), timestamp: at }),
      );
      applySegment(p, event({ type: "group", groupId: n, traits: json({ name: n }), timestamp: at }));
      applySegment(p, event({ type: "identify", traits: json({ [n]: n }), timestamp: at }));
      applySegment(p, event({ type: "page", properties: json({ category: n }), timestamp: at }));
      applySegment(
        p,
        event({
          event: "Order Completed",
          properties: json({ order_id: n, total: 1, currency: n }),
          timestamp: at,
        }),
      );
      // An event named like a member is no e-commerce event: no intent, no interest.
      applySegment(p, event({ event: n, properties: json({ product_id: "other" }), timestamp: at }));
      const email = `${n.toLowerCase()}@x.com`;
      applyEmail(p, { provider: n, type: "unsubscribe", email, at, id: n } as EmailEvent, email);
      // Stored and read back between events, as the writer does.
      p = parseProfile(JSON.stringify(p));
    }
    expect(protoNames()).toEqual(before);
    expect(keysOf(p.interests.products)).toEqual([...NAMES].sort());
    expect(keysOf(p.interests.categories)).toEqual([...NAMES].sort());
    expect(keysOf(p.groups)).toEqual([...NAMES].sort());
    expect(keysOf(p.traits)).toEqual([...NAMES].sort());
    expect(keysOf(p.purchases.ltv)).toEqual(
      [...new Set(NAMES.map((n) => n.toUpperCase().slice(0, 8)))].sort(),
    );
    expect(keysOf(p.suppressions)).toEqual(NAMES.map((n) => `${n.toLowerCase()}@x.com`).sort());
    expect(keysOf(p.counts)).toEqual([
      "email_unsubscribe",
      "events",
      "group",
      "identify",
      "page",
      "sessions",
      "track",
    ]);
    expect(Object.values(p.interests.products).every((d) => Number.isFinite(d.v))).toBe(true);
    expect(Number.isFinite(p.intent.v)).toBe(true);

    // Merged into another profile: the same keys, still plain data.
    const w = emptyProfile("w", 1_000);
    mergeInto(w, p);
    expect(protoNames()).toEqual(before);
    expect(keysOf(w.traits)).toEqual([...NAMES].sort());
    expect(keysOf(w.interests.products)).toEqual([...NAMES].sort());
    expect(keysOf(w.groups)).toEqual([...NAMES].sort());
  });

  it("CSV feed headers named like members are unknown columns, ignored", async () => {
    const csv = "id,name,price,currency,constructor,__proto__,toString\nsku-1,Shoe,10,EUR,a,b,c\n";
    const res = await parseFeed(new TextEncoder().encode(csv), "csv");
    expect(res).toMatchObject({
      ok: true,
      rejected: [],
      products: [{ id: "sku-1", name: "Shoe", price: 10 }],
    });
  });

  it("ESP event names named like members are ignored (SendGrid, Brevo)", () => {
    for (const n of NAMES) {
      expect(
        normaliseSendgrid([{ event: n, email: "a@x.com", timestamp: 1, sg_event_id: "e" }], 0),
      ).toMatchObject({
        events: [],
        ignored: 1,
      });
      expect(normaliseBrevo([{ event: n, email: "a@x.com", ts_event: 1 }], 0)).toMatchObject({
        events: [],
        ignored: 1,
      });
    }
  });
});
