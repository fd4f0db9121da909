import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PriceCardModel } from "../../src/core/cards/price-model.js";
import { type PriceTemplate, priceCard } from "../../src/core/cards/price-templates.js";
import type { CardFormat, CardRenderer } from "../../src/core/cards/types.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let now = Date.parse("2026-11-20T10:00:00Z");
const clock = { now: () => now };
let s: TestServer;
let renderer: CardRenderer;

beforeAll(async () => {
  renderer = await createSatoriRenderer();
  s = await startTestServer({}, undefined, { clock });
});
afterAll(async () => {
  await s.cleanup();
});

const theme = { background: "#ffffff", text: "#111827", accent: "#d92d20", font: "Roboto" };
async function put(products: unknown) {
  const res = await s.api("/v1/products", { method: "PUT", json: { products } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res;
}
async function createBlock(options: Record<string, unknown>) {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type: "price", options } });
  return { res, body: (await res.json()) as any };
}
async function image(path: string) {
  const res = await fetch(`${s.url}${path}`);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}
/** What the card engine draws for this state: the route must serve exactly these bytes. */
function expected(
  m: Partial<PriceCardModel> & { name: string; now: string },
  o: { template?: PriceTemplate; w?: number; h?: number; format?: CardFormat } = {},
) {
  const model: PriceCardModel = {
    was: null,
    discount: null,
    stockLabel: null,
    soldOut: false,
    image: null,
    ...m,
  };
  const w = o.w ?? 600;
  const h = o.h ?? 300;
  return renderer.render(priceCard(o.template ?? "classic", model, w, h, theme), {
    width: w,
    height: h,
    scale: 1,
    format: o.format ?? "png",
  });
}
/** Decoded pixels (PNG bytes may differ in metadata chunks; what a recipient sees may not). */
async function pixels(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}
async function expectSamePixels(got: Uint8Array, want: Promise<Uint8Array>) {
  expect(await pixels(got)).toEqual(await pixels(await want));
}
async function metric(name: string): Promise<number> {
  const text = await (await s.api("/metrics")).text();
  return Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
}

describe("price blocks", () => {
  it("renders the product as it is at open: now, then was/now with the drop after a price change", async () => {
    await put([{ id: "shoe", name: "Trail shoe", price: 100, currency: "EUR", stock: 12 }]);
    const { res, body } = await createBlock({ productId: "shoe", campaign: "bf" });
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.url).toMatch(new RegExp(`/i/${body.id}\\.png$`));

    const before = await image(`/i/${body.id}.png?u=ann%40x.com`);
    expect(before.res.status).toBe(200);
    expect(before.res.headers.get("content-type")).toBe("image/png");
    expect(before.res.headers.get("cache-control")).toContain("no-store");
    expect(before.res.headers.get("x-opentime-fallback")).toBeNull();
    await expectSamePixels(before.bytes, expected({ name: "Trail shoe", now: "€100.00" }));

    now += 86_400_000;
    await put([{ id: "shoe", name: "Trail shoe", price: 80, currency: "EUR", stock: 3 }]);
    const after = await image(`/i/${body.id}.png`);
    await expectSamePixels(
      after.bytes,
      expected({
        name: "Trail shoe",
        now: "€80.00",
        was: "€100.00",
        discount: "-20%",
        stockLabel: "Only 3 left",
      }),
    );
    const stats = (await (await s.api("/v1/campaigns/bf/stats")).json()) as any;
    expect(stats.opens.total).toBe(2);
  });

  it("shows sold out in the block's locale and template", async () => {
    await put([{ id: "beanie", name: "Mütze", price: 29.9, currency: "EUR", stock: 0 }]);
    const { body } = await createBlock({
      productId: "beanie",
      locale: "de-DE",
      template: "compact",
      height: 120,
    });
    const { bytes } = await image(`/i/${body.id}.png`);
    await expectSamePixels(
      bytes,
      expected(
        { name: "Mütze", now: "29,90\u00a0€", stockLabel: "Ausverkauft", soldOut: true },
        { template: "compact", h: 120 },
      ),
    );
  });

  it("draws a tile at its own size (300x420) unless told one, also when a variant picks it", async () => {
    await put([{ id: "mug", name: "Enamel mug", price: 18, currency: "EUR", stock: 40 }]);
    const { res, body } = await createBlock({ productId: "mug", template: "tile" });
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.options).toEqual({ productId: "mug", template: "tile" });
    const { bytes } = await image(`/i/${body.id}.png`);
    expect((await pixels(bytes)).width).toBe(300);
    await expectSamePixels(
      bytes,
      expected({ name: "Enamel mug", now: "€18.00" }, { template: "tile", w: 300, h: 420 }),
    );
    // A classic card whose variant shows the tile: the tile's size, not the card's.
    const { res: vres, body: v } = await createBlock({
      productId: "mug",
      variants: [{ name: "tile", when: { random: 100 }, options: { template: "tile" } }],
    });
    expect(vres.status, JSON.stringify(v)).toBe(201);
    const shown = await image(`/i/${v.id}.png?u=bob%40x.com`);
    expect(shown.res.headers.get("x-opentime-variant")).toBe("tile");
    await expectSamePixels(
      shown.bytes,
      expected({ name: "Enamel mug", now: "€18.00" }, { template: "tile", w: 300, h: 420 }),
    );
  });

  it("serves jpg, webp and gif at the asked size, and 2x for retina", async () => {
    await put([{ id: "mug", name: "Mug", price: 12, currency: "USD" }]);
    const { body } = await createBlock({ productId: "mug", width: 300, height: 150, scale: 2 });
    for (const [ext, format, type] of [
      ["jpg", "jpeg", "image/jpeg"],
      ["webp", "webp", "image/webp"],
      ["gif", "gif", "image/gif"],
    ]) {
      const { res, bytes } = await image(`/i/${body.id}.${ext}`);
      expect(res.headers.get("content-type")).toBe(type);
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 600, 300]);
    }
  });

  it("renders once for concurrent opens of the same state, and again after a change", async () => {
    await put([{ id: "lamp", name: "Desk lamp", price: 45, currency: "GBP", stock: 40 }]);
    const { body } = await createBlock({ productId: "lamp", locale: "en-GB" });
    const r0 = await metric("opentime_render_cache_renders");
    const all = await Promise.all(Array.from({ length: 20 }, () => image(`/i/${body.id}.png`)));
    for (const r of all) expect(r.bytes).toEqual(all[0]!.bytes);
    expect((await metric("opentime_render_cache_renders")) - r0).toBe(1);
    const put2 = await put([{ id: "lamp", name: "Desk lamp", price: 45, currency: "GBP", stock: 4 }]);
    expect(await put2.json()).toMatchObject({ updated: 1 });
    const changed = await image(`/i/${body.id}.png`);
    expect(changed.bytes).not.toEqual(all[0]!.bytes);
    expect((await metric("opentime_render_cache_renders")) - r0).toBe(2);
  });

  it("answers the fallback image (never a 500) for an unknown product", async () => {
    const { res, body } = await createBlock({ productId: "not-in-catalog" });
    expect(res.status).toBe(201);
    for (const ext of ["png", "gif"]) {
      const img = await image(`/i/${body.id}.${ext}`);
      expect(img.res.status).toBe(200);
      expect(img.res.headers.get("x-opentime-fallback")).toBe("unknown_product");
      expect((await sharp(img.bytes).metadata()).width).toBe(1);
    }
  });

  it.each([
    [{}, "productId"],
    [{ productId: "a b" }, "productId"],
    [{ productId: "x", width: 5000 }, "width"],
    [{ productId: "x", scale: 3 }, "scale"],
    [{ productId: "x", template: "fancy" }, "template"],
    [{ productId: "x", locale: "not a locale!" }, "locale"],
    [{ productId: "x", accentColor: "red" }, "accentColor"],
    [{ productId: "x", font: "Comic Sans" }, "font"],
    [{ productId: "x", sparkle: true }, "sparkle"],
  ])("rejects bad options %j with a 400 naming %s", async (options, field) => {
    const { res, body } = await createBlock(options);
    expect(res.status).toBe(400);
    expect(body.error.code).toBe("validation_failed");
    expect(JSON.stringify(body.error)).toContain(field);
  });

  it("validates a PATCH too, and shows the edit at the next open", async () => {
    await put([{ id: "cap", name: "Cap", price: 20, currency: "EUR" }]);
    const { body } = await createBlock({ productId: "cap" });
    const bad = await s.api(`/v1/blocks/${body.id}`, { method: "PATCH", json: { options: { width: 1 } } });
    expect(bad.status).toBe(400);
    const ok = await s.api(`/v1/blocks/${body.id}`, {
      method: "PATCH",
      json: { options: { template: "compact", height: 120 } },
    });
    expect(ok.status).toBe(200);
    await expectSamePixels(
      (await image(`/i/${body.id}.png`)).bytes,
      expected({ name: "Cap", now: "€20.00" }, { template: "compact", h: 120 }),
    );
  });
});
