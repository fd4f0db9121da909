import { join } from "node:path";
import Database from "better-sqlite3";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { startTestServer, type TestServer, tempDir, UA, withRecipientProof } from "../helpers/server.js";
import { post, WRITE_KEY } from "../segment/helpers.js";

let now = Date.parse("2026-05-04T10:00:00Z");
const clock = { now: () => now };
let s: TestServer;
let msg = 0;

beforeAll(async () => {
  s = await startTestServer({ OPENTIME_WRITE_KEY: WRITE_KEY }, tempDir(), { clock });
});
afterAll(async () => {
  await s.cleanup();
});

const FALLBACK = "https://shop.example/new";
const only = (name: string) => ({
  recentlyViewed: 0,
  affinity: 0,
  viewedTogether: 0,
  boughtTogether: 0,
  trending: 0,
  bestSellers: 0,
  priceDrops: 0,
  backInStock: 0,
  newArrivals: 0,
  [name]: 1,
});

function product(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: `Sneaker ${id}`,
    price: 80,
    currency: "EUR",
    stock: 10,
    url: `https://shop.example/p/${id}`,
    category: "sneakers",
    ...extra,
  };
}
async function upsert(products: unknown[]) {
  const res = await s.api("/v1/products", { method: "PUT", json: { products } });
  expect(res.status, await res.clone().text()).toBe(200);
}
async function track(userId: string, event: string, properties: Record<string, unknown>) {
  const res = await post(s, "/v1/batch", {
    batch: [
      {
        type: "identify",
        userId,
        traits: { email: `${userId}@example.com` },
        messageId: `m${++msg}`,
        timestamp: new Date(now).toISOString(),
      },
      {
        type: "track",
        userId,
        event,
        properties,
        messageId: `m${++msg}`,
        timestamp: new Date(now).toISOString(),
      },
    ],
  });
  expect(res.status, await res.clone().text()).toBe(200);
}
async function createBlock(options: Record<string, unknown>) {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type: "recs", options } });
  const body = (await res.json()) as any;
  return { res, body };
}
async function open(path: string) {
  const res = await fetch(`${s.url}${path}`, { headers: { "user-agent": UA.chromeDesktop } });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}
async function click(path: string) {
  const res = await fetch(`${s.url}${path}`, {
    redirect: "manual",
    headers: { "user-agent": UA.chromeDesktop },
  });
  return { status: res.status, location: res.headers.get("location") };
}
/** Decisions are group-committed: the stats route flushes them (as in variants.test.ts). */
const settle = (id: string) => s.api(`/v1/blocks/${id}/stats`).then((r) => r.arrayBuffer());
function decisions(id: string) {
  const db = new Database(join(s.dataDir, DB_FILE), { readonly: true });
  try {
    return db.prepare("SELECT recipient, slots FROM decisions WHERE block_id = ? ORDER BY rowid").all(id) as {
      recipient: string | null;
      slots: string | null;
    }[];
  } finally {
    db.close();
  }
}

describe("recs block over HTTP (real SQLite, loopback)", () => {
  it("rejects bad options with precise errors", async () => {
    const { res, body } = await createBlock({ tiles: 13, layout: "spiral", strategies: { trending: -1 } });
    expect(res.status).toBe(400);
    const text = JSON.stringify(body);
    expect(text).toContain("tiles");
    expect(text).toContain("layout");
    expect(text).toContain("strategies.trending");
    expect(text).toContain("fallbackUrl");
    const bad = await createBlock({ fallbackUrl: "javascript:alert(1)" });
    expect(JSON.stringify(bad.body)).toContain("fallbackUrl: use an absolute http(s) URL");
    const cat = await createBlock({ fallbackUrl: FALLBACK, categoryUrl: "https://shop.example/c/" });
    expect(JSON.stringify(cat.body)).toContain("categoryUrl: must contain {category}");
  });

  it("an empty catalog draws the fallback tiles and every tile link goes to the fallback URL", async () => {
    const { res, body } = await createBlock({ tiles: 2, layout: "row", fallbackUrl: FALLBACK });
    expect(res.status, JSON.stringify(body)).toBe(201);
    const img = await open(`/i/${body.id}.png?u=nobody%40example.com`);
    expect(img.res.status).toBe(200);
    expect(img.res.headers.get("content-type")).toBe("image/png");
    expect(img.res.headers.get("x-opentime-fallback")).toBe("recs_fallback_tiles");
    const meta = await sharp(img.bytes).metadata();
    expect(meta.width).toBe(600);
    await settle(body.id);
    expect(await click(`/c/${body.id}/tile1?u=nobody%40example.com`)).toEqual({
      status: 302,
      location: FALLBACK,
    });
    // A tile the block does not have, and a person who never opened: still somewhere useful.
    expect(await click(`/c/${body.id}/tile9?u=nobody%40example.com`)).toEqual({
      status: 302,
      location: FALLBACK,
    });
    expect(await click(`/c/${body.id}/tile1`)).toEqual({ status: 302, location: FALLBACK });
    expect(await click(`/c/${body.id}/tile13`)).toEqual({ status: 302, location: FALLBACK });
  });

  it("a click goes to the product the tile showed at the latest open; then sold out → category page; no open → the engine's choice now", async () => {
    await upsert(["a1", "a2", "a3", "b1"].map((id) => product(id)));
    await track("ann", "Product Viewed", { product_id: "a1", category: "sneakers" });
    const { body } = await createBlock({
      tiles: 2,
      layout: "grid",
      strategies: only("recentlyViewed"),
      fallbackUrl: FALLBACK,
      categoryUrl: "https://shop.example/c/{category}",
      cacheSeconds: 0,
    });
    const id = body.id as string;
    const u = "ann%40example.com";
    const signed = await withRecipientProof(s, `/i/${id}.png?u=${u}`);
    const us = new URL(signed, s.url).searchParams.get("us")!;
    const first = await open(signed);
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get("x-opentime-fallback")).toBeNull();
    await settle(id);
    const d1 = JSON.parse(decisions(id).at(-1)!.slots!);
    expect(d1["tile1.p"]).toBe("a1");
    expect(await click(`/c/${id}/tile1?u=${u}&us=${us}`)).toEqual({
      status: 302,
      location: "https://shop.example/p/a1",
    });

    // She looks at a2; the next open shows it first, and the click follows the newer open.
    now += 60_000;
    await track("ann", "Product Viewed", { product_id: "a2", category: "sneakers" });
    const second = await open(signed);
    expect(second.bytes).not.toEqual(first.bytes);
    await settle(id);
    expect(await click(`/c/${id}/tile1?u=${u}&us=${us}`)).toEqual({
      status: 302,
      location: "https://shop.example/p/a2",
    });
    expect((await click(`/c/${id}/tile2?u=${u}&us=${us}`)).location).toBe("https://shop.example/p/a1");

    // Without `us`, a decision drawn from her profile is not followed (u alone is anyone's guess).
    // It goes where anyone's click without a recipient goes: the cold-start choice.
    expect(await click(`/c/${id}/tile1?u=${u}`)).toEqual(await click(`/c/${id}/tile1`));

    // Sold out between open and click: its category page.
    await upsert([product("a2", { stock: 0 })]);
    expect(await click(`/c/${id}/tile1?u=${u}&us=${us}`)).toEqual({
      status: 302,
      location: "https://shop.example/c/sneakers",
    });

    // Bob viewed b1 but never opened (images blocked): the engine's choice now.
    await track("bob", "Product Viewed", { product_id: "b1", category: "sneakers" });
    const bobLink = await withRecipientProof(s, `/c/${id}/tile1?u=bob%40example.com`);
    expect(await click(bobLink)).toEqual({ status: 302, location: "https://shop.example/p/b1" });
  });

  it("an unknown block or a forged id is the dead-link page, never a 500", async () => {
    expect((await click("/c/not-a-block/tile1")).status).toBe(404);
    expect((await open("/i/not-a-block.png")).res.status).toBe(200);
  });
});
