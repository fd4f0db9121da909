import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, UA, withRecipientProof } from "../helpers/server.js";
import { post, WRITE_KEY } from "../segment/helpers.js";

/**
 * Polls and offers end to end on a real server with a real SQLite file: votes by click
 * (humans only, one per person), coupon pools uploaded as CSV and JSON, codes handed out
 * at first open under parallel load, carried to the landing page, redeemed by an order.
 */
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ OPENTIME_WRITE_KEY: WRITE_KEY });
});
afterAll(async () => {
  await s?.cleanup();
});

async function createBlock(type: string, options: Record<string, unknown>) {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type, options } });
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body as { id: string };
}

async function click(path: string, ua = UA.chromeDesktop) {
  const res = await fetch(`${s.url}${path}`, { redirect: "manual", headers: { "user-agent": ua } });
  await res.arrayBuffer();
  return res;
}

async function openImage(id: string, u?: string) {
  const path = await withRecipientProof(s, `/i/${id}.png${u ? `?u=${encodeURIComponent(u)}` : ""}`);
  const res = await fetch(`${s.url}${path}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  return { bytes, fallback: res.headers.get("x-opentime-fallback") };
}

describe("poll blocks", () => {
  it("counts one vote per human recipient; machines and clicks without u never vote", async () => {
    const poll = await createBlock("poll", {
      question: "Which colour next?",
      options: [
        { id: "red", label: "Red" },
        { id: "blue", label: "Blue" },
      ],
      thanksUrl: "https://shop.example/thanks",
    });
    const votes = async () => (await (await s.api(`/v1/blocks/${poll.id}/votes`)).json()) as any;
    const before = await openImage(poll.id);

    const r1 = await click(`/c/${poll.id}/red?u=ann@example.com`);
    expect(r1.status).toBe(302);
    expect(r1.headers.get("location")).toBe("https://shop.example/thanks");
    await click(`/c/${poll.id}/red?u=bob@example.com`);
    // Machines: a scanner's and a bot's click land on the page too, but never vote.
    const bot = await click(`/c/${poll.id}/blue?u=carl@example.com`, UA.curl);
    expect(bot.headers.get("location")).toBe("https://shop.example/thanks");
    await click(`/c/${poll.id}/blue?u=dora@example.com`, UA.headless);
    // Without a recipient: redirected, not counted (nobody to hold the one vote).
    const anon = await click(`/c/${poll.id}/blue`);
    expect(anon.status).toBe(302);
    expect(await votes()).toEqual({
      votes: [
        { option: "red", votes: 2 },
        { option: "blue", votes: 0 },
      ],
      total: 2,
    });

    // A later click changes the person's vote; it never adds a second one.
    await click(`/c/${poll.id}/blue?u=ann@example.com`);
    expect(await votes()).toEqual({
      votes: [
        { option: "red", votes: 1 },
        { option: "blue", votes: 1 },
      ],
      total: 2,
    });
    // Not an option: the dead-link page, no vote.
    expect((await click(`/c/${poll.id}/green?u=eve@example.com`)).status).toBe(404);

    const after = await openImage(poll.id);
    expect(Buffer.from(after.bytes).equals(Buffer.from(before.bytes))).toBe(false);
  });

  it("refuses a poll whose thank-you URL is not http(s)", async () => {
    const res = await s.api("/v1/blocks", {
      method: "POST",
      json: {
        type: "poll",
        options: {
          question: "?",
          options: [
            { id: "a", label: "A" },
            { id: "b", label: "B" },
          ],
          thanksUrl: "javascript:alert(1)",
        },
      },
    });
    expect(res.status).toBe(400);
  });
});

describe("erasure", () => {
  it("DELETE /v1/profiles/:id takes the person's poll vote and offer grant with it", async () => {
    const poll = await createBlock("poll", {
      question: "?",
      options: [
        { id: "a", label: "A" },
        { id: "b", label: "B" },
      ],
      thanksUrl: "https://shop.example/thanks",
    });
    await post(s, "/v1/identify", { userId: "gone-1", traits: { email: "gone@example.com" } });
    await click(`/c/${poll.id}/a?u=gone@example.com`);
    await click(`/c/${poll.id}/a?u=stays@example.com`);
    const votes = async () => ((await (await s.api(`/v1/blocks/${poll.id}/votes`)).json()) as any).total;
    expect(await votes()).toBe(2);
    const res = await s.api("/v1/profiles/gone@example.com", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await votes()).toBe(1);
  });
});

describe("coupon pools", () => {
  it("uploads CSV and JSON, reporting duplicates within the upload and against the pool", async () => {
    const csv = "code\r\nAAA-1\r\nAAA-2\r\nAAA-2\r\nAAA-3\r\n";
    const r1 = await s.api("/v1/coupons/spring", {
      method: "POST",
      body: csv,
      headers: { "content-type": "text/csv" },
    });
    expect(await r1.json()).toMatchObject({
      added: 3,
      duplicates: 1,
      duplicateCodes: ["AAA-2"],
      available: 3,
    });
    const r2 = await s.api("/v1/coupons/spring", { method: "POST", json: { codes: ["AAA-3", "AAA-4"] } });
    expect(await r2.json()).toMatchObject({
      added: 1,
      duplicates: 1,
      duplicateCodes: ["AAA-3"],
      available: 4,
    });
    const bad = await s.api("/v1/coupons/spring", { method: "POST", json: { codes: ["ok", "not ok"] } });
    expect(bad.status).toBe(400);
    expect(await (await s.api("/v1/coupons/spring")).json()).toEqual({
      pool: "spring",
      total: 4,
      assigned: 0,
      redeemed: 0,
      available: 4,
    });
  });
});

describe("offer blocks", () => {
  const codes = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
  const codeOf = async (id: string, u: string) => {
    const res = await click(await withRecipientProof(s, `/c/${id}/shop?u=${encodeURIComponent(u)}`));
    expect(res.status).toBe(302);
    return new URL(res.headers.get("location")!).searchParams.get("coupon");
  };

  it("parallel first opens by the same and different people: never a shared code, never a changed one", async () => {
    await s.api("/v1/coupons/gold", { method: "POST", json: { codes: codes(200, "GOLD") } });
    const offer = await createBlock("offer", {
      levels: [{ name: "gold", percent: 20, pool: "gold" }],
      slots: { shop: "https://shop.example/sale?src=mail" },
    });
    const people = Array.from({ length: 40 }, (_, i) => `p${i}@example.com`);
    // Every person opens three times at once, everyone at the same moment.
    await Promise.all(
      people.flatMap((p) => [openImage(offer.id, p), openImage(offer.id, p), openImage(offer.id, p)]),
    );
    const first = await Promise.all(people.map((p) => codeOf(offer.id, p)));
    expect(first.every((c) => c?.startsWith("GOLD-"))).toBe(true);
    expect(new Set(first).size).toBe(people.length);
    // Later opens and clicks: the same code for the same person.
    await Promise.all(people.map((p) => openImage(offer.id, p)));
    expect(await Promise.all(people.map((p) => codeOf(offer.id, p)))).toEqual(first);
    expect(await (await s.api("/v1/coupons/gold")).json()).toMatchObject({ assigned: 40, available: 160 });
    // The landing URL keeps its own query.
    const res = await click(await withRecipientProof(s, `/c/${offer.id}/shop?u=p0@example.com`));
    expect(res.headers.get("location")).toBe(`https://shop.example/sale?src=mail&coupon=${first[0]}`);
  });

  it("levels by profile, caps per campaign, a fallback code when the pool is empty, redemption by order", async () => {
    await s.api("/v1/coupons/vip", { method: "POST", json: { codes: ["VIP-1", "VIP-2"] } });
    await s.api("/v1/coupons/basic", { method: "POST", json: { codes: ["BASIC-1"] } });
    const offer = await createBlock("offer", {
      levels: [
        { name: "vip", percent: 30, pool: "vip", cap: 2, when: { trait: { name: "tier", equals: "vip" } } },
        { name: "basic", percent: 10, pool: "basic" },
      ],
      fallbackCode: "WELCOME10",
      maxPercent: 50,
      lowPoolAlert: 1,
      slots: { shop: "https://shop.example/" },
    });
    for (const u of ["v1", "v2", "v3"])
      await post(s, "/v1/identify", { userId: u, traits: { email: `${u}@example.com`, tier: "vip" } });
    await post(s, "/v1/identify", { userId: "n1", traits: { email: "n1@example.com" } });
    // v1 and v2 take the two vip places; v3 is over the cap and gets basic; n1 is not a vip.
    for (const u of ["v1", "v2", "v3", "n1"]) await openImage(offer.id, `${u}@example.com`);
    expect(await codeOf(offer.id, "v1@example.com")).toMatch(/^VIP-/);
    expect(await codeOf(offer.id, "v2@example.com")).toMatch(/^VIP-/);
    expect(await codeOf(offer.id, "v3@example.com")).toBe("BASIC-1");
    // basic's pool is empty now: the fallback code, said in the header.
    expect((await openImage(offer.id, "n1@example.com")).fallback).toBe("pool_empty");
    expect(await codeOf(offer.id, "n1@example.com")).toBe("WELCOME10");
    // Codes uploaded later reach those who got the fallback, at their next open.
    await s.api("/v1/coupons/basic", { method: "POST", json: { codes: ["BASIC-2"] } });
    expect((await openImage(offer.id, "n1@example.com")).fallback).toBeNull();
    expect(await codeOf(offer.id, "n1@example.com")).toBe("BASIC-2");
    // Without a recipient: the most basic level and the fallback code, nothing handed out.
    expect((await openImage(offer.id)).fallback).toBe("no_recipient");
    // A `u` without its proof is anyone typing an address: no code is handed out or shown.
    const forged = await fetch(`${s.url}/i/${offer.id}.png?u=v1@example.com`);
    expect(forged.headers.get("x-opentime-fallback")).toBe("recipient_unproven");
    const peek = await click(`/c/${offer.id}/shop?u=v1@example.com`);
    expect(new URL(peek.headers.get("location")!).searchParams.get("coupon")).toBe("WELCOME10");
    expect(await (await s.api("/v1/coupons/basic")).json()).toMatchObject({ assigned: 2, available: 0 });
    // The low-pool alert is counted in /metrics.
    const metrics = await (await s.api("/metrics")).text();
    expect(metrics).toMatch(/opentime_coupon_pool_low_total [1-9]/);

    // An Order Completed carrying the code marks it redeemed.
    const vip = (await codeOf(offer.id, "v1@example.com"))!;
    const order = await post(s, "/v1/track", {
      userId: "v1",
      event: "Order Completed",
      properties: { order_id: "o-1", total: 80, currency: "EUR", coupon: vip },
    });
    expect(order.status).toBe(200);
    expect(await (await s.api("/v1/coupons/vip")).json()).toMatchObject({ assigned: 2, redeemed: 1 });
  });
});
