import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { startTestServer, type TestServer, tempDir, UA } from "../helpers/server.js";
import { post, WRITE_KEY } from "../segment/helpers.js";

// A clock the test moves, so clicks come well after their opens (no fast-click signal).
let now = Date.parse("2026-12-20T10:00:00.000Z");
const clock = { now: () => now };
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ OPENTIME_WRITE_KEY: WRITE_KEY }, tempDir(), { clock });
});
afterAll(async () => {
  await s.cleanup();
});

const options = (splits: Record<string, unknown>) => ({
  deadline: "2026-12-24T18:00:00Z",
  campaign: "xmas-learn",
  slots: { cta: "https://shop.example/sale" },
  variants: [
    {
      name: "red",
      split: "hero",
      options: { digitColor: "#c00000" },
      slots: { cta: "https://shop.example/p/red" },
    },
    {
      name: "blue",
      split: "hero",
      options: { digitColor: "#0000c0" },
      slots: { cta: "https://shop.example/p/blue" },
    },
  ],
  splits,
});

async function createBlock(opts: Record<string, unknown>): Promise<string> {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type: "countdown", options: opts } });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}
async function open(id: string, u: string, ua: string): Promise<string> {
  const res = await fetch(`${s.url}/i/${id}.gif?u=${encodeURIComponent(u)}`, {
    headers: { "user-agent": ua },
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return res.headers.get("x-opentime-variant")!;
}
async function click(id: string, u: string, ua: string, extra = ""): Promise<string> {
  const res = await fetch(`${s.url}/c/${id}/cta?u=${encodeURIComponent(u)}${extra}`, {
    redirect: "manual",
    headers: { "user-agent": ua },
  });
  expect(res.status).toBe(302);
  return res.headers.get("location")!;
}
async function learning(id: string) {
  const res = await s.api(`/v1/blocks/${id}/learning`);
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}
const variant = (body: any, name: string) => body.variants.find((v: any) => v.name === name);
const sum = (body: any, key: string) => body.variants.reduce((t: number, v: any) => t + v[key], 0);

describe("learning over HTTP with real SQLite", () => {
  it("never counts machine opens or clicks: proxies, MPP, scanners and bots reward nothing", async () => {
    const id = await createBlock(options({ hero: { optimize: "clicks", minSample: 0 } }));
    const machines = [UA.gmailProxy, UA.yahooProxy, UA.appleMpp, UA.curl, UA.headless];
    for (const [i, ua] of machines.entries()) {
      await open(id, `m${i}@x.com`, ua);
      now += 60_000;
      await click(id, `m${i}@x.com`, ua);
    }
    let body = await learning(id);
    expect(sum(body, "impressions")).toBe(0);
    expect(sum(body, "clicks")).toBe(0);

    const shown = await open(id, "ann@x.com", UA.chromeDesktop);
    // The same person again within the window: one impression, the same arm (sticky).
    expect(await open(id, "ann@x.com", UA.chromeDesktop)).toBe(shown);
    now += 60_000;
    expect(await click(id, "ann@x.com", UA.chromeDesktop)).toBe(`https://shop.example/p/${shown}`);
    body = await learning(id);
    expect(variant(body, shown)).toMatchObject({ impressions: 1, clicks: 1, ctr: 1 });
    expect(variant(body, shown).slots).toEqual([{ slot: "cta", clicks: 1, orders: 0, revenue: {} }]);
    expect(sum(body, "impressions")).toBe(1);
    expect(body.splits[0]).toMatchObject({ group: "hero", optimize: "clicks", pin: null, stopped: false });
    const shares = body.splits[0].arms.map((a: any) => a.share);
    expect(shares.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 3);
  });

  it("credits an Order Completed to the clicked variant and slot, with revenue per currency and the flow's step", async () => {
    const id = await createBlock(options({ hero: { optimize: "revenue", minSample: 0 } }));
    expect((await post(s, "/v1/identify", { userId: "bea", traits: { email: "Bea@X.com" } })).status).toBe(
      200,
    );
    const shown = await open(id, "bea@x.com", UA.iphoneSafari);
    now += 30_000;
    const to = await click(id, "bea@x.com", UA.iphoneSafari, "&c=flow:welcome:step-2");
    expect(to).toBe(`https://shop.example/p/${shown}`);
    now += 600_000;
    const order = {
      userId: "bea",
      event: "Order Completed",
      messageId: "order-1",
      properties: {
        order_id: "o-1",
        total: 59.9,
        currency: "eur",
        products: [
          { product_id: "sku-9", url: "https://shop.example/other", price: 10 },
          { product_id: `sku-${shown}`, url: `https://shop.example/p/${shown}?ref=mail`, price: 49.9 },
        ],
      },
    };
    expect((await post(s, "/v1/track", order)).status).toBe(200);
    // The same order again (a retry): credited once.
    expect((await post(s, "/v1/batch", { batch: [{ type: "track", ...order }] })).status).toBe(200);
    // Someone who never clicked orders too: credited to nothing.
    await post(s, "/v1/track", { userId: "zed", event: "Order Completed", properties: { total: 5 } });

    const body = await learning(id);
    expect(variant(body, shown)).toMatchObject({
      impressions: 1,
      clicks: 1,
      orders: 1,
      revenue: { EUR: 59.9 },
    });
    expect(variant(body, shown).slots).toEqual([
      { slot: "cta", clicks: 1, orders: 1, revenue: { EUR: 59.9 } },
    ]);
    expect(body.recentOrders).toEqual([
      expect.objectContaining({
        orderId: "order-1",
        variant: shown,
        slot: "cta",
        product: `sku-${shown}`,
        campaign: "flow:welcome:step-2",
        flow: "welcome",
        step: "step-2",
        currency: "EUR",
        revenue: 59.9,
      }),
    ]);
  });

  it("does not credit an order placed after the attribution window", async () => {
    const id = await createBlock(options({ hero: { optimize: "orders", minSample: 0 } }));
    await post(s, "/v1/identify", { userId: "cy", traits: { email: "cy@x.com" } });
    await open(id, "cy@x.com", UA.chromeDesktop);
    now += 60_000;
    await click(id, "cy@x.com", UA.chromeDesktop);
    now += 8 * 86_400_000;
    await post(s, "/v1/track", {
      userId: "cy",
      event: "Order Completed",
      properties: { total: 20, currency: "USD" },
    });
    const body = await learning(id);
    expect(sum(body, "clicks")).toBe(1);
    expect(sum(body, "orders")).toBe(0);
  });

  it("pins a winner, stops and resumes learning through the block's API", async () => {
    const id = await createBlock(options({ hero: { optimize: "clicks" } }));
    let res = await s.api(`/v1/blocks/${id}/splits/hero`, { method: "POST", json: { pin: "blue" } });
    expect(res.status).toBe(200);
    for (let i = 0; i < 6; i++) expect(await open(id, `p${i}@x.com`, UA.chromeDesktop)).toBe("blue");
    let body = await learning(id);
    expect(body.splits[0]).toMatchObject({ pin: "blue", stopped: false });
    expect(body.splits[0].arms.map((a: any) => a.share)).toEqual([0, 1]);

    res = await s.api(`/v1/blocks/${id}/splits/hero`, { method: "POST", json: { pin: "green" } });
    expect(res.status).toBe(400);
    res = await s.api(`/v1/blocks/${id}/splits/nope`, { method: "POST", json: { stop: true } });
    expect(res.status).toBe(404);

    res = await s.api(`/v1/blocks/${id}/splits/hero`, { method: "POST", json: { stop: true } });
    expect(res.status).toBe(200);
    body = await learning(id);
    expect(body.splits[0]).toMatchObject({ pin: null, stopped: true, learning: false });
    expect(body.splits[0].arms.map((a: any) => a.share)).toEqual([0.5, 0.5]);
    res = await s.api(`/v1/blocks/${id}/splits/hero`, { method: "POST", json: { resume: true } });
    expect(((await res.json()) as any).options.splits.hero).toMatchObject({ pin: null, stopped: false });
  });

  it("rejects learning settings for a split no variant has, and a pin outside the split", async () => {
    for (const splits of [
      { nope: { optimize: "clicks" } },
      { hero: { optimize: "clicks", pin: "green" } },
      { hero: { optimize: "views" } },
    ]) {
      const res = await s.api("/v1/blocks", {
        method: "POST",
        json: { type: "countdown", options: options(splits) },
      });
      expect(res.status, JSON.stringify(splits)).toBe(400);
    }
  });

  it("shows each profile's scores, heuristic and labelled so, and refuses to train on too little history", async () => {
    const res = await s.api("/v1/profiles/bea");
    const profile = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(profile.scores.source).toEqual({ propensity: "heuristic", churnRisk: "heuristic" });
    expect(profile.scores.propensity).toBeGreaterThan(0);
    expect(profile.scores.propensity).toBeLessThan(1);
    const trained = await s.api("/v1/scores/train", { method: "POST" });
    const body = (await trained.json()) as any;
    expect(trained.status, JSON.stringify(body)).toBe(200);
    expect(body.propensity).toMatchObject({ source: "heuristic", lastAttempt: { trained: false } });
    expect(body.propensity.lastAttempt.reason).toMatch(/too little history/);
    expect(((await (await s.api("/v1/scores")).json()) as any).churnRisk.source).toBe("heuristic");
  });

  it("erases a person's last click with them; their credited orders name no one", async () => {
    await learning(await createBlock(options({}))); // stats write what is buffered
    expect(touchKeys()).toContain("e:bea@x.com");
    const res = await s.api("/v1/profiles/bea", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(touchKeys()).not.toContain("e:bea@x.com");
  });
});

function touchKeys(): string[] {
  const db = new Database(join(s.dataDir, DB_FILE), { readonly: true });
  try {
    return db.prepare("SELECT key FROM learn_touches").pluck().all() as string[];
  } finally {
    db.close();
  }
}
