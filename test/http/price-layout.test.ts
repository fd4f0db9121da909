import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layoutTree, parseLayout } from "../../src/core/cards/banner-layout.js";
import { fillTemplate } from "../../src/core/cards/merge-fields.js";
import { PRICE_LAYOUT_FIELDS } from "../../src/core/cards/price-block.js";
import { el } from "../../src/core/cards/types.js";
import { loadCardAssets } from "../../src/node/cards/assets.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { samePixels } from "../helpers/image-snapshot.js";
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
