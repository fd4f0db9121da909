import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let now = Date.parse("2026-11-20T10:00:00Z");
const clock = { now: () => now };
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({}, undefined, { clock });
});
afterAll(async () => {
  await s.cleanup();
});

const put = (products: unknown) => s.api("/v1/products", { method: "PUT", json: { products } });
const shoe = { id: "sku-1", name: "Trail shoe", price: 100, currency: "EUR", stock: 12 };

describe("product catalog", () => {
  it("bulk upserts, keeps unchanged products' versions and answers with the price/stock history", async () => {
    const first = await put([shoe, { id: "sku-2", name: "Beanie", price: 29.9, currency: "EUR" }]);
    const body = (await first.json()) as any;
    expect(first.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ created: 2, updated: 0, unchanged: 0 });

    now += 3_600_000;
    expect(await (await put([shoe])).json()).toMatchObject({ unchanged: 1 });
    now += 3_600_000;
    expect(await (await put([{ ...shoe, price: 80, stock: 3 }])).json()).toMatchObject({ updated: 1 });

    const res = await s.api("/v1/products/sku-1");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: "sku-1",
      name: "Trail shoe",
      price: 80,
      currency: "EUR",
      compareAtPrice: null,
      stock: 3,
      imageUrl: null,
      url: null,
      category: null,
      brand: null,
      tags: [],
      version: 2,
      createdAt: "2026-11-20T10:00:00.000Z",
      updatedAt: "2026-11-20T12:00:00.000Z",
      priceSince: "2026-11-20T12:00:00.000Z",
      history: [
        { at: "2026-11-20T12:00:00.000Z", price: 80, currency: "EUR", stock: 3 },
        { at: "2026-11-20T10:00:00.000Z", price: 100, currency: "EUR", stock: 12 },
      ],
    });
  });

  it("answers 404 for an unknown product and 400 for an id that cannot be one", async () => {
    expect((await s.api("/v1/products/nope")).status).toBe(404);
    expect((await s.api(`/v1/products/${"x".repeat(200)}`)).status).toBe(400);
  });

  it.each([
    [[], "products"],
    [[{ ...shoe, price: -1 }], "price"],
    [[{ ...shoe, currency: "euro" }], "currency"],
    [[{ ...shoe, id: "has space" }], "id"],
    [[{ ...shoe, stock: 1.5 }], "stock"],
    [[{ ...shoe, imageUrl: "javascript:alert(1)" }], "imageUrl"],
    [[{ ...shoe, colour: "red" }], "colour"],
    [[shoe, shoe], "duplicate"],
  ])("rejects %j with a 400 naming %s, writing nothing", async (products, field) => {
    const res = await put(products);
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe("validation_failed");
    expect(JSON.stringify(body.error)).toContain(field);
  });

  it("bounds a call to 1,000 products, and requires the operator key", async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ ...shoe, id: `bulk-${i}` }));
    const res = await put(many);
    expect(res.status).toBe(400);
    expect((await s.api("/v1/products/bulk-0")).status).toBe(404);
    expect((await put(many.slice(0, 1000))).status).toBe(200);
    expect((await fetch(`${s.url}/v1/products/sku-1`)).status).toBe(401);
    expect((await fetch(`${s.url}/v1/products`, { method: "PUT", body: "{}" })).status).toBe(401);
  });
});
