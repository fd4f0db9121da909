import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../ports/index.js";
import { DAY, HOUR, MIN, profileKit, SEC } from "../testing/profile-kit.js";
import { HALF_LIFE } from "./model.js";
import { profileView } from "./view.js";

const open = (at: number, recipient: string, cls: TrackEvent["class"] = "human"): TrackEvent => ({
  at,
  kind: "open",
  campaign: "spring",
  linkId: null,
  recipient,
  class: cls,
  reasons: [],
  ip: null,
  userAgent: null,
  method: "GET",
});

describe("scores with an injected clock", () => {
  it("engagement halves every 14 days, to the second, and its tier follows", async () => {
    const k = profileKit();
    // 4 human clicks (3 each) = 12 → high.
    for (let i = 0; i < 4; i++) k.service.noteTrackEvent({ ...open(k.now, "eve@x.com"), kind: "click" });
    await k.service.flush();
    const p = (await k.service.find("eve@x.com"))!;
    expect(profileView(p, k.now).engagement).toMatchObject({ score: 12, tier: "high", halfLifeDays: 14 });
    expect(profileView(p, k.now + HALF_LIFE.engagement).engagement).toMatchObject({
      score: 6,
      tier: "medium",
    });
    expect(profileView(p, k.now + 2 * HALF_LIFE.engagement).engagement).toMatchObject({
      score: 3,
      tier: "medium",
    });
    // One second later it has decayed below the medium threshold.
    expect(profileView(p, k.now + 2 * HALF_LIFE.engagement + SEC).engagement.tier).toBe("low");
  });

  it("machine opens are counted apart and move neither engagement nor the send-time histogram", async () => {
    const k = profileKit(Date.parse("2026-03-02T18:30:00Z"));
    k.service.noteTrackEvent(open(k.now, "max@x.com", "apple_mpp"));
    k.service.noteTrackEvent(open(k.now, "max@x.com", "gmail_proxy"));
    k.service.noteTrackEvent(open(k.now, "max@x.com", "human"));
    await k.service.flush();
    const v = profileView((await k.service.find("max@x.com"))!, k.now);
    expect(v.email).toMatchObject({
      opens: 1,
      machineOpens: 2,
      machineByClass: { apple_mpp: 1, gmail_proxy: 1 },
    });
    expect(v.email.lastOpenAt).toBe(k.now);
    expect(v.email.hours[18]).toBe(1);
    expect(v.email.bestHourUtc).toBe(18);
    expect(v.engagement.score).toBe(1);
  });

  it("purchase intent ranks cart above product views above browsing, decays in 12 h, resets on purchase", async () => {
    const k = profileKit();
    await k.send({ type: "page", userId: "browse" });
    await k.send({
      type: "track",
      userId: "viewer",
      event: "Product Viewed",
      properties: { product_id: "p" },
    });
    await k.send({
      type: "track",
      userId: "carter",
      event: "Product Added",
      properties: { product_id: "p", price: 9 },
    });
    const intent = async (id: string, at = k.now) =>
      profileView((await k.service.find(id))!, at).intent.score;
    const [b, v, c] = [await intent("browse"), await intent("viewer"), await intent("carter")];
    expect(b).toBeGreaterThan(0);
    expect(v).toBeGreaterThan(b);
    expect(c).toBeGreaterThan(v);
    expect(c).toBeLessThan(1);
    // 1 − e^(−0.8) now; 1 − e^(−0.4) one half-life later.
    expect(c).toBeCloseTo(1 - Math.exp(-0.8), 4);
    expect(await intent("carter", k.now + 12 * HOUR)).toBeCloseTo(1 - Math.exp(-0.4), 4);
    k.advance(MIN);
    await k.send({
      type: "track",
      userId: "carter",
      event: "Order Completed",
      properties: { order_id: "o", total: 9 },
    });
    expect(await intent("carter")).toBe(0);
    expect((await k.service.find("carter"))!.cart).toBeNull();
  });

  it("interests decay with a 30-day half-life and merge by addition", async () => {
    const k = profileKit();
    await k.send({
      type: "track",
      userId: "i",
      event: "Product Viewed",
      properties: { product_id: "shoe", category: "Shoes" },
    });
    k.advance(30 * DAY);
    await k.send({
      type: "track",
      userId: "i",
      event: "Product Viewed",
      properties: { product_id: "hat", category: "Hats" },
    });
    const v = profileView((await k.service.find("i"))!, k.now);
    expect(v.interests.products).toEqual([
      { id: "hat", score: 1 },
      { id: "shoe", score: 0.5 },
    ]);
  });

  it("a session ends after 30 minutes idle; a new one counts as a visit", async () => {
    const k = profileKit();
    await k.send({ type: "page", userId: "s" });
    k.advance(29 * MIN);
    await k.send({
      type: "track",
      userId: "s",
      event: "Product Viewed",
      properties: { product_id: "a", name: "A" },
    });
    let v = profileView((await k.service.find("s"))!, k.now);
    expect(v.session).toMatchObject({ active: true, events: 2, views: [{ productId: "a", name: "A" }] });
    expect(v.counts.sessions).toBe(1);
    expect(profileView((await k.service.find("s"))!, k.now + 30 * MIN + SEC).session!.active).toBe(false);
    k.advance(31 * MIN);
    await k.send({ type: "page", userId: "s" });
    v = profileView((await k.service.find("s"))!, k.now);
    expect(v.session).toMatchObject({ active: true, events: 1, views: [], startedAt: k.now });
    expect(v.counts.sessions).toBe(2);
  });
});

describe("ESP email events", () => {
  it("hard bounces, complaints and unsubscribes suppress at once; soft bounces do not", async () => {
    const k = profileKit();
    const base = { provider: "sendgrid", at: k.now };
    await k.service.applyEmailEvent({ ...base, type: "bounce", bounce: "soft", email: "a@x.com", id: "1" });
    expect((await k.service.find("a@x.com"))!.suppressions).toEqual({});
    await k.service.applyEmailEvent({ ...base, type: "bounce", bounce: "hard", email: "A@x.com", id: "2" });
    await k.service.applyEmailEvent({ ...base, type: "complaint", email: "b@x.com", id: "3" });
    await k.service.applyEmailEvent({ ...base, type: "unsubscribe", email: "c@x.com", id: "4" });
    expect((await k.service.find("a@x.com"))!.suppressions["a@x.com"]).toMatchObject({
      reason: "hard_bounce",
    });
    expect((await k.service.find("b@x.com"))!.suppressions["b@x.com"]).toMatchObject({ reason: "complaint" });
    expect((await k.service.find("c@x.com"))!.consent.email).toMatchObject({ granted: false });
  });

  it("dedupes by provider + id, machine opens are not engagement, recipient ids link", async () => {
    const k = profileKit();
    const e = {
      provider: "mailgun",
      type: "open" as const,
      email: "d@x.com",
      at: k.now,
      id: "ev-1",
      recipientId: "sub-9",
    };
    await k.service.applyEmailEvent(e);
    await k.service.applyEmailEvent(e);
    await k.service.applyEmailEvent({ ...e, provider: "postmark" }); // another provider's id space
    await k.service.applyEmailEvent({ ...e, id: "ev-2", machine: true });
    const p = (await k.service.find("sub-9"))!;
    expect(p.emails).toEqual(["d@x.com"]);
    expect(p.email).toMatchObject({ opens: 2, machineOpens: 1 });
    expect(profileView(p, k.now).engagement.score).toBe(2);
  });
});

describe("failure", () => {
  it("a failed commit changes nothing, rejects the request, and a retry counts once", async () => {
    const k = profileKit();
    await k.send({ type: "track", userId: "f", event: "Product Viewed", messageId: "a" });
    (k.store as { failNext?: boolean }).failNext = true;
    await expect(
      k.send({ type: "track", userId: "f", event: "Product Added", messageId: "b" }),
    ).rejects.toThrow();
    expect((await k.service.find("f"))!.counts.events).toBe(1);
    await k.send({ type: "track", userId: "f", event: "Product Added", messageId: "b" });
    expect((await k.service.find("f"))!.counts.events).toBe(2);
  });
});
