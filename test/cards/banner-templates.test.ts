import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { parseLayout } from "../../src/core/cards/banner-layout.js";
import {
  BANNER_SIZES,
  type BannerModel,
  type BannerTemplate,
  bannerCard,
  customBanner,
} from "../../src/core/cards/banner-templates.js";
import {
  fillTemplate,
  PROFILE_FIELDS,
  parseTemplate,
  profileFields,
} from "../../src/core/cards/merge-fields.js";
import type { CardElement, CardRenderer } from "../../src/core/cards/types.js";
import { loadCardAssets } from "../../src/node/cards/assets.js";
import { createLayoutRenderer } from "../../src/node/cards/layout-renderer.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { matchSnapshot, pixelAt, samePixels } from "../helpers/image-snapshot.js";
import { BANNER_THEME } from "./samples.js";

let renderer: CardRenderer;
let layoutRenderer: CardRenderer;
const assets = loadCardAssets();
const LAYOUT_FIELDS = [...PROFILE_FIELDS, "headline", "subline", "cta"];
beforeAll(async () => {
  renderer = await createSatoriRenderer();
  layoutRenderer = await createLayoutRenderer();
});

const BASE: BannerModel = {
  headline: "Hi Ann, your picks are in!",
  subline: "Fresh arrivals chosen for you this week.",
  cta: "Shop now",
  image: null,
  backgroundImage: null,
  overlay: 0,
};

async function draw(tree: CardElement, w: number, h: number, r = renderer) {
  const png = await r.render(tree, { width: w, height: h, scale: 1, format: "png" });
  const meta = await sharp(png).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(["png", w, h]);
  return png;
}
const sized = (t: BannerTemplate, m: BannerModel) => {
  const { width, height } = BANNER_SIZES[t];
  return draw(bannerCard(t, m, width, height, BANNER_THEME), width, height);
};

describe("banner snapshots", () => {
  it.each([
    ["hero", {}],
    ["hero-image", { backgroundImage: assets.get("banner-waves.jpg")!, overlay: 0.2 }],
    ["split-image", { image: assets.get("banner-sunrise.jpg")! }],
    ["split", { cta: null }],
    ["strip", {}],
    // Kanji beyond the bundled subset and ￥ from the fallback face; emoji in colour (Twemoji).
    [
      "hero-japanese-emoji",
      { headline: "抹茶ラテ ￥1,980 🍵", subline: "東京のお客様へ 🎉 購入は今日まで", cta: "購入 ❤️" },
    ],
  ] as const)("%s looks like its committed baseline", async (name, extra) => {
    const template = name.split("-")[0] as BannerTemplate;
    await matchSnapshot(`banner-${name}`, await sized(template, { ...BASE, ...extra }));
  });

  it("draws images as backgrounds of their box, at any size (a cover <img> past the edge aborted resvg)", async () => {
    const m = {
      ...BASE,
      image: assets.get("banner-sunrise.jpg")!,
      backgroundImage: assets.get("banner-waves.jpg")!,
    };
    for (const [t, w, h] of [
      ["split", 100, 300],
      ["hero", 100, 800],
      ["strip", 1200, 40],
    ] as const) {
      const png = await draw(bannerCard(t, m, w, h, BANNER_THEME), w, h);
      expect(await pixelAt(png, w - 1, Math.floor(h / 2))).not.toBe(BANNER_THEME.background);
    }
  });

  it("an operator's layout draws inside the banner's frame", async () => {
    const res = parseLayout(
      {
        type: "div",
        style: { flexDirection: "column", justifyContent: "center", padding: "0 32px", width: "100%" },
        children: [
          {
            type: "span",
            style: { fontSize: 14, color: "#fbbf24", letterSpacing: 2 },
            children: "MEMBERS ONLY",
          },
          { type: "div", style: { fontSize: 36, marginTop: 8 }, children: "{{headline}}" },
          {
            type: "div",
            style: { alignItems: "center", marginTop: 16 },
            children: [
              { type: "img", src: "banner-sunrise.jpg", width: 48, height: 48, style: { borderRadius: 24 } },
              {
                type: "span",
                style: { fontSize: 18, marginLeft: 12 },
                children: "See you soon, {{first_name|friend}}",
              },
            ],
          },
        ],
      },
      { assets, fields: LAYOUT_FIELDS, families: renderer.families },
    );
    expect(res.ok, JSON.stringify(res)).toBe(true);
    if (!res.ok) return;
    expect([...res.fields].sort()).toEqual(["first_name", "headline"]);
    const values = { first_name: "Ann", headline: "Early access starts now" };
    const tree = customBanner(
      res.layout,
      (t) => fillTemplate(t, values, 200),
      BASE,
      600,
      200,
      BANNER_THEME,
      (ref) => assets.get(ref),
    );
    const png = await draw(tree, 600, 200);
    await matchSnapshot("banner-custom-layout", png);
    expect(await pixelAt(png, 590, 190)).toBe(BANNER_THEME.background);
    // Nothing is outside the card here, so the guarded renderer draws the very same pixels.
    expect(await samePixels(await draw(tree, 600, 200, layoutRenderer), png)).toBe(true);
  });

  it("a layout that pushes boxes out of the card is drawn without them (resvg would abort the process)", async () => {
    // Found by fuzzing: a text run pushed past the right edge by a 100% margin and a wide
    // padding. Drawn by resvg as is, this SVG panics inside the addon and kills Node.
    const layout = {
      type: "span",
      style: { margin: "10px 20px" },
      children: [
        {
          type: "span",
          style: { marginLeft: "100%", backgroundColor: "#f00", paddingRight: 2400 },
          children: ["{{headline}}"],
        },
        "{{headline}}",
      ],
    };
    const res = parseLayout(layout, { assets, fields: LAYOUT_FIELDS, families: renderer.families });
    if (!res.ok) throw new Error(res.issue);
    const tree = customBanner(
      res.layout,
      (t) => fillTemplate(t, { headline: "Headline here" }, 200),
      BASE,
      1200,
      100,
      BANNER_THEME,
      (ref) => assets.get(ref),
    );
    const png = await draw(tree, 1200, 100, layoutRenderer);
    // The part still inside the card is drawn (the red box reaches 20 px into it).
    expect(await pixelAt(png, 1190, 50)).toBe("#ff0000");
  });
});

describe("merge fields", () => {
  const fill = (text: string, traits: Record<string, unknown> | null) => {
    const t = parseTemplate(text, PROFILE_FIELDS);
    if (!t.ok) throw new Error(t.issue);
    return fillTemplate(t.template, profileFields(traits), 120);
  };

  it("read Segment's trait names, and a default for anyone unknown", () => {
    expect(fill("Hi {{first_name|there}}!", { firstName: "Ann" })).toBe("Hi Ann!");
    expect(fill("Hi {{first_name|there}}!", { first_name: "Bo" })).toBe("Hi Bo!");
    expect(fill("Hi {{ first_name | there }}!", { name: "Cem Yilmaz" })).toBe("Hi Cem!");
    expect(fill("Hi {{first_name|there}}!", null)).toBe("Hi there!");
    expect(fill("{{name}} in {{city|your town}}", { name: "Dee", address: { city: "Oslo" } })).toBe(
      "Dee in Oslo",
    );
    expect(fill("{{company}}", { company: { name: "Acme" } })).toBe("Acme");
  });

  it("are plain, one-line, bounded text: markup is not interpreted, control characters are dropped", () => {
    expect(fill("Hi {{first_name}}", { firstName: "<b>Ann</b>" })).toBe("Hi <b>Ann</b>");
    expect(fill("Hi {{first_name}}", { firstName: "A\u202Enn\n\tX\u0000" })).toBe("Hi Ann X");
    expect(fill("{{first_name}}", { firstName: "x".repeat(500) })).toHaveLength(40);
  });

  it("refuse unknown fields and malformed braces", () => {
    expect(parseTemplate("Hi {{email}}", PROFILE_FIELDS)).toMatchObject({
      ok: false,
      issue: expect.stringMatching(/unknown merge field/),
    });
    expect(parseTemplate("Hi {{first_name", PROFILE_FIELDS)).toMatchObject({
      ok: false,
      issue: expect.stringMatching(/malformed/),
    });
    expect(parseTemplate("Hi {{First}}", PROFILE_FIELDS)).toMatchObject({ ok: false });
  });
});
