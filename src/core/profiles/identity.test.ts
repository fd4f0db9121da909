import { describe, expect, it } from "vitest";
import { profileKit } from "../testing/profile-kit.js";

const view = (k: ReturnType<typeof profileKit>) => async (id: string) => {
  const p = await k.service.find(id);
  if (!p) throw new Error(`no profile for ${id}`);
  return p;
};

describe("identity resolution and merges", () => {
  it("anon then user: the anonymous history joins the user's profile", async () => {
    const k = profileKit();
    await k.send({
      type: "track",
      anonymousId: "anon-1",
      event: "Product Viewed",
      properties: { product_id: "p1" },
    });
    await k.send({ type: "page", anonymousId: "anon-1", name: "Home" });
    await k.send({
      type: "identify",
      anonymousId: "anon-1",
      userId: "u1",
      traits: { email: "Ann@Example.com" },
    });
    const p = await view(k)("u1");
    expect(p.anonymousIds).toEqual(["anon-1"]);
    expect(p.emails).toEqual(["ann@example.com"]);
    expect(p.counts).toMatchObject({ events: 3, track: 1, page: 1, identify: 1 });
    expect((await view(k)("anon-1")).id).toBe(p.id);
    expect((await view(k)("ANN@example.com")).id).toBe(p.id);
  });

  it("user then anon: a later event carrying both merges, counts added once", async () => {
    const k = profileKit();
    await k.send({
      type: "track",
      userId: "u2",
      event: "Order Completed",
      properties: { order_id: "o1", total: 50 },
    });
    await k.send({
      type: "track",
      anonymousId: "anon-2",
      event: "Product Viewed",
      properties: { product_id: "p9" },
    });
    await k.send({
      type: "track",
      anonymousId: "anon-2",
      event: "Product Added",
      properties: { product_id: "p9", price: 5 },
    });
    const before = [(await view(k)("u2")).id, (await view(k)("anon-2")).id];
    expect(before[0]).not.toBe(before[1]);
    await k.send({ type: "track", userId: "u2", anonymousId: "anon-2", event: "Cart Viewed" });
    const p = await view(k)("u2");
    expect(p.id).toBe(before[0]); // the known user's profile survives
    expect(p.counts.events).toBe(4);
    expect(p.purchases.count).toBe(1);
    expect(p.purchases.ltv.USD).toBe(50);
    expect(p.cart?.items).toEqual([expect.objectContaining({ productId: "p9", quantity: 1 })]);
    expect(p.history).toHaveLength(4);
    expect(await k.store.get([before[1]!])).toEqual(new Map());
    expect((await k.store.events(p.id)).length).toBe(4);
  });

  it("alias before any event: later events under either id land on one profile", async () => {
    const k = profileKit();
    await k.send({ type: "alias", previousId: "anon-3", userId: "u3" });
    await k.send({
      type: "track",
      anonymousId: "anon-3",
      event: "Product Viewed",
      properties: { product_id: "a" },
    });
    await k.send({ type: "track", userId: "u3", event: "Product Viewed", properties: { product_id: "b" } });
    const p = await view(k)("u3");
    expect(p.counts).toMatchObject({ events: 3, alias: 1, track: 2 });
    expect((await view(k)("anon-3")).id).toBe(p.id);
  });

  it("alias after: two histories merge, an old user id is kept as an alternate id", async () => {
    const k = profileKit();
    await k.send({
      type: "track",
      userId: "old-id",
      event: "Order Completed",
      properties: { order_id: "o1", total: 10 },
    });
    await k.send({
      type: "track",
      userId: "new-id",
      event: "Order Completed",
      properties: { order_id: "o2", total: 20 },
    });
    await k.send({ type: "alias", previousId: "old-id", userId: "new-id" });
    const p = await view(k)("old-id");
    expect(p.userId).toBe("new-id");
    expect(p.userIds.sort()).toEqual(["new-id", "old-id"]);
    expect(p.purchases).toMatchObject({ count: 2, ltv: { USD: 30 } });
    expect(p.counts.events).toBe(3);
  });

  it("two anonymous visitors merged into one user, nothing counted twice", async () => {
    const k = profileKit();
    for (const a of ["laptop", "phone"]) {
      await k.send({ type: "page", anonymousId: a });
      await k.send({
        type: "track",
        anonymousId: a,
        event: "Product Viewed",
        properties: { product_id: `p-${a}`, category: "Shoes" },
      });
    }
    await k.send({ type: "identify", userId: "u4", anonymousId: "laptop" });
    await k.send({ type: "identify", userId: "u4", anonymousId: "phone" });
    const p = await view(k)("u4");
    expect(p.anonymousIds.sort()).toEqual(["laptop", "phone"]);
    expect(p.counts).toMatchObject({ events: 6, page: 2, track: 2, identify: 2 });
    expect(Object.keys(p.interests.products).sort()).toEqual(["p-laptop", "p-phone"]);
    expect(p.interests.categories.Shoes!.v).toBeCloseTo(2, 5); // 1 + 1, not 4
    expect((await k.store.events(p.id)).length).toBe(6);
    // The same visit seen from two devices at the same minute was one visit, not two.
    expect(p.counts.sessions).toBe(1);
  });

  it("never merges two known users through a shared anonymous id", async () => {
    const k = profileKit();
    await k.send({ type: "identify", userId: "alice", anonymousId: "shared-tablet" });
    await k.send({ type: "identify", userId: "bob", anonymousId: "shared-tablet" });
    const a = await view(k)("alice");
    const b = await view(k)("bob");
    expect(a.id).not.toBe(b.id);
    expect(b.counts.events).toBe(1);
    expect((await view(k)("shared-tablet")).id).toBe(a.id);
  });

  it("a replayed messageId is accepted once (also within one group)", async () => {
    const k = profileKit();
    const r1 = await k.send({ type: "track", userId: "u5", event: "Product Viewed", messageId: "dup" });
    const r2 = await k.send({ type: "track", userId: "u5", event: "Product Viewed", messageId: "dup" });
    const u5 = await view(k)("u5");
    expect(r1).toEqual({ accepted: 1, duplicates: 0, suppressed: 0, profileIds: [u5.id] });
    expect(r2).toEqual({ accepted: 0, duplicates: 1, suppressed: 0, profileIds: [null] });
    expect(u5.counts.events).toBe(1);
  });

  it("opens from an address join the user once an identify names that email", async () => {
    const k = profileKit();
    k.service.noteTrackEvent({
      at: k.now,
      kind: "open",
      campaign: "c1",
      linkId: null,
      recipient: "zoe@x.com",
      class: "human",
      reasons: [],
      ip: null,
      userAgent: null,
      method: "GET",
    });
    await k.service.flush();
    await k.send({ type: "identify", userId: "zoe", traits: { email: "zoe@x.com" } });
    const p = await view(k)("zoe");
    expect(p.email.opens).toBe(1);
    expect(p.emails).toEqual(["zoe@x.com"]);
  });
});
