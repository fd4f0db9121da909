import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layoutTree, parseLayout } from "../../src/core/cards/banner-layout.js";
import { fillTemplate } from "../../src/core/cards/merge-fields.js";
import { PRICE_LAYOUT_FIELDS } from "../../src/core/cards/price-block.js";
import { el } from "../../src/core/cards/types.js";
import { loadCardAssets } from "../../src/node/cards/assets.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { pixelAt, samePixels } from "../helpers/image-snapshot.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.cleanup();
});

const layout = {
  type: "div",
  style: { flexDirection: "column", justifyContent: "center", padding: 20, width: "100%" },
  children: [
    { type: "div", style: { fontSize: 26 }, children: "{{name}}" },
    { type: "div", style: { fontSize: 44, color: "#d92d20" }, children: "{{now}}" },
    { type: "span", style: { fontSize: 18, color: "#6b7280" }, children: "{{was|}} {{stock|}}" },
  ],
};

async function open(path: string) {
  const res = await fetch(`${s.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  expect(res.headers.get("x-opentime-fallback")).toBeNull();
  return new Uint8Array(await res.arrayBuffer());
}

describe("price cards with an operator's own layout", () => {
  it("draws the layout with the product's live texts, and follows a price change", async () => {
    const put = (price: number) =>
      s.api("/v1/products", {
        method: "PUT",
        json: {
          products: [
            { id: "tent", name: "Trail tent", price, compareAtPrice: 249, currency: "EUR", stock: 2 },
          ],
        },
      });
    expect((await put(199)).status).toBe(200);
    const res = await s.api("/v1/blocks", {
      method: "POST",
      json: {
        type: "price",
        options: { productId: "tent", locale: "de-DE", width: 400, height: 200, layout },
      },
    });
    const block = (await res.json()) as any;
    expect(res.status, JSON.stringify(block)).toBe(201);

    // What the same tree looks like drawn directly: the server filled the texts from the product.
    const renderer = await createSatoriRenderer();
    const parsed = parseLayout(layout, {
      assets: loadCardAssets(),
      fields: PRICE_LAYOUT_FIELDS,
      families: renderer.families,
    });
    if (!parsed.ok) throw new Error(parsed.issue);
    const draw = (values: Record<string, string>) =>
      renderer.render(
        el(
          "div",
          {
            display: "flex",
            width: 400,
            height: 200,
            overflow: "hidden",
            backgroundColor: "#ffffff",
            color: "#111827",
            fontFamily: renderer.families[0]!,
          },
          layoutTree(
            parsed.layout,
            (t) => fillTemplate(t, values, 120),
            () => undefined,
          ),
        ),
        { width: 400, height: 200, scale: 1, format: "png" },
      );
    const first = await open(`/i/${block.id}.png?u=a`);
    const want = await draw({
      name: "Trail tent",
      now: "199,00 €",
      was: "249,00 €",
      discount: "",
      stock: "Nur noch 2 verfügbar",
    });
    expect(await samePixels(first, want)).toBe(true);

    expect((await put(179)).status).toBe(200);
    const second = await open(`/i/${block.id}.png?u=a`);
    expect(await samePixels(second, first)).toBe(false);
  });

  it("draws the product's photo where the layout names it", async () => {
    const red = await sharp({ create: { width: 40, height: 40, channels: 3, background: "#dc2626" } })
      .png()
      .toBuffer();
    const put = (imageUrl: string | null) =>
      s.api("/v1/products", {
        method: "PUT",
        json: { products: [{ id: "cap", name: "Cap", price: 20, currency: "USD", imageUrl }] },
      });
    expect((await put(`data:image/png;base64,${red.toString("base64")}`)).status).toBe(200);
    const withPhoto = {
      type: "div",
      style: { width: "100%" },
      children: [{ type: "img", src: "product", width: 120, height: 120 }, "{{now}}"],
    };
    const res = await s.api("/v1/blocks", {
      method: "POST",
      json: { type: "price", options: { productId: "cap", width: 300, height: 150, layout: withPhoto } },
    });
    const block = (await res.json()) as any;
    expect(res.status, JSON.stringify(block)).toBe(201);
    const png = await open(`/i/${block.id}.png`);
    // Inside the photo's box: the product's red.
    expect(await pixelAt(png, 60, 60)).toBe("#dc2626");
    // Banners have no product: the name is refused there.
    const banner = await s.api("/v1/blocks", {
      method: "POST",
      json: { type: "banner", options: { headline: "x", layout: withPhoto } },
    });
    expect(banner.status).toBe(400);
  });

  it("refuses a layout naming a field price cards do not have, or an unsafe style", async () => {
    for (const [bad, message] of [
      [{ type: "div", children: "{{first_name}}" }, /^options\.layout\.children.*first_name/],
      [
        { type: "div", style: { position: "absolute" } },
        /^options\.layout\.style\.position: not an allowed style property/,
      ],
    ] as const) {
      const res = await s.api("/v1/blocks", {
        method: "POST",
        json: { type: "price", options: { productId: "tent", layout: bad } },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.message).toMatch(message);
    }
  });
});
