import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeGif } from "../countdown/helpers.js";
import { rawPixels } from "../helpers/image-snapshot.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * What a marketer types is drawn, through the API and the image route: Japanese (beyond the
 * bundled subset) and ￥ on cards and countdowns, emoji in colour on cards; what still cannot
 * be drawn is refused at save with a 400 naming the field, never dropped at the open.
 */
const now = Date.parse("2026-12-20T10:00:00.250Z");
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({}, undefined, { clock: { now: () => now } });
});
afterAll(async () => {
  await s.cleanup();
});

async function create(type: string, options: Record<string, unknown>) {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type, options } });
  return { status: res.status, body: (await res.json()) as any };
}
async function open(type: string, options: Record<string, unknown>, ext = "png") {
  const { status, body } = await create(type, options);
  expect(status, JSON.stringify(body)).toBe(201);
  const res = await fetch(`${s.url}/i/${body.id}.${ext}`);
  expect(res.headers.get("x-opentime-fallback")).toBeNull();
  return new Uint8Array(await res.arrayBuffer());
}
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Pixels far from grey: a colour picture, not text in the card's ink. */
async function colourful(png: Uint8Array): Promise<number> {
  const { data } = await rawPixels(png);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 120) n++;
  }
  return n;
}

describe("Japanese and ￥", () => {
  // Each is missing from the bundled 134-kanji subset: before, all were drawn as nothing.
  const chars = ["抹", "茶", "東", "京", "客", "購", "￥"];

  it("a banner draws each of them (every character a different picture)", async () => {
    const look = { template: "strip", background: "#ffffff", textColor: "#111111", width: 200, height: 60 };
    const blank = await open("banner", { ...look, headline: "\u3000" });
    const pngs: Uint8Array[] = [];
    for (const c of chars) pngs.push(await open("banner", { ...look, headline: c }));
    pngs.forEach((p, i) => {
      expect(same(p, blank), `${chars[i]} drawn as nothing`).toBe(false);
      for (let j = 0; j < i; j++) expect(same(p, pngs[j]!), `${chars[i]} looks like ${chars[j]}`).toBe(false);
    });
  });

  it("a countdown's expired text draws them too", async () => {
    const gifs: Uint8Array[] = [];
    for (const expiredText of ["抹茶", "東京", "お客様", "購入￥"])
      gifs.push(await open("countdown", { deadline: "2026-12-20T09:00:00Z", expiredText }, "gif"));
    const blank = await open("countdown", { deadline: "2026-12-20T09:00:00Z", expiredText: "\u3000" }, "gif");
    gifs.forEach((g, i) => {
      expect(same(g, blank), `text ${i} drawn as nothing`).toBe(false);
      for (let j = 0; j < i; j++) expect(same(g, gifs[j]!)).toBe(false);
    });
    expect(decodeGif(gifs[0]!).frames).toHaveLength(1);
  });

  it("a price card draws a Japanese product name (two names, two pictures)", async () => {
    const put = await s.api("/v1/products", {
      method: "PUT",
      json: {
        products: [
          { id: "matcha", name: "抹茶東京", price: 1980, currency: "JPY", stock: 10 },
          { id: "tokyo", name: "東京抹茶", price: 1980, currency: "JPY", stock: 10 },
        ],
      },
    });
    expect(put.status).toBe(200);
    const look = { template: "compact", height: 120, locale: "ja-JP" };
    const a = await open("price", { ...look, productId: "matcha" });
    const b = await open("price", { ...look, productId: "tokyo" });
    expect(same(a, b)).toBe(false);
  });
});

describe("emoji", () => {
  it("are drawn in colour on cards, also where a font has a monochrome glyph (😀)", async () => {
    for (const headline of ["😀", "🎉", "❤️", "🇯🇵", "👨‍👩‍👧"]) {
      const png = await open("banner", {
        template: "hero",
        headline,
        background: "#ffffff",
        textColor: "#111111",
        width: 300,
        height: 150,
      });
      expect(await colourful(png), headline).toBeGreaterThan(30);
    }
  });
});

describe("what still cannot be drawn is refused at save", () => {
  it.each([
    ["banner", { headline: "안녕하세요" }, "headline", '"안" (U+C548) cannot be drawn'],
    [
      "banner",
      { headline: "Hi", layout: { type: "div", children: ["ok", "नमस्ते"] } },
      "layout.children.1",
      "U+0928",
    ],
    ["weather", { content: { rain: { headline: "Hi", text: "வணக்கம்" } } }, "content.rain.text", "U+0BB5"],
    [
      "countdown",
      { deadline: "2026-12-24T18:00:00Z", expiredText: "Ended 😢" },
      "expiredText",
      "is an emoji",
    ],
    ["countdown", { deadline: "2026-12-24T18:00:00Z", separator: "ก" }, "separator", "U+0E01"],
  ])("%s %j: 400 naming %s", async (type, options, field, why) => {
    const { status, body } = await create(type, options);
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.error.message).toContain(`options.${field}: `);
    expect(body.error.message).toContain(why);
  });

  it("while what the fonts have is taken: accents, Greek, Cyrillic, symbols", async () => {
    const text = "Ça coûte 9,90 € — Łódź, Ελλάδα, Москва ★ ✓ → © ™ £ ¥ ￥";
    expect((await create("banner", { headline: text })).status).toBe(201);
    expect(
      (await create("countdown", { deadline: "2026-12-24T18:00:00Z", expiredText: "Łódź ★ ￥ 終了" })).status,
    ).toBe(201);
  });
});

describe("sold out", () => {
  it("a sold-out card shows no discount badge (it did, in the accent colour)", async () => {
    const product = {
      id: "beanie",
      name: "Merino beanie",
      price: 29.9,
      compareAtPrice: 39.9,
      currency: "EUR",
    };
    await s.api("/v1/products", {
      method: "PUT",
      json: { products: [{ ...product, id: "b-in", stock: 12 }] },
    });
    await s.api("/v1/products", {
      method: "PUT",
      json: { products: [{ ...product, id: "b-out", stock: 0 }] },
    });
    const look = { accentColor: "#00ff00", template: "classic" };
    const green = async (png: Uint8Array) => {
      const { data } = await rawPixels(png);
      let n = 0;
      for (let i = 0; i < data.length; i += 4)
        if (data[i]! < 40 && data[i + 1]! > 215 && data[i + 2]! < 40) n++;
      return n;
    };
    expect(await green(await open("price", { ...look, productId: "b-in" }))).toBeGreaterThan(200);
    expect(await green(await open("price", { ...look, productId: "b-out" }))).toBe(0);
  });
});
