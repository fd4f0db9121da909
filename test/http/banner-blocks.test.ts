import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLayout } from "../../src/core/cards/banner-layout.js";
import { type BannerModel, bannerCard, customBanner } from "../../src/core/cards/banner-templates.js";
import { fillTemplate, PROFILE_FIELDS } from "../../src/core/cards/merge-fields.js";
import type { CardRenderer } from "../../src/core/cards/types.js";
import { loadCardAssets } from "../../src/node/cards/assets.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { BANNER_THEME } from "../cards/samples.js";
import { pixelAt, samePixels } from "../helpers/image-snapshot.js";
import { startTestServer, type TestServer, withRecipientProof } from "../helpers/server.js";
import { post, WRITE_KEY } from "../segment/helpers.js";

let s: TestServer;
let renderer: CardRenderer;
const assets = loadCardAssets();

beforeAll(async () => {
  renderer = await createSatoriRenderer();
  s = await startTestServer({ OPENTIME_WRITE_KEY: WRITE_KEY });
});
afterAll(async () => {
  await s.cleanup();
});

async function createBlock(options: unknown) {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type: "banner", options } });
  return { status: res.status, body: (await res.json()) as any };
}
async function open(path: string, proof = true) {
  const res = await fetch(`${s.url}${proof ? await withRecipientProof(s, path) : path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  expect(res.headers.get("x-opentime-fallback")).toBeNull();
  return new Uint8Array(await res.arrayBuffer());
}
async function identify(userId: string, traits: Record<string, unknown>) {
  const res = await post(s, "/v1/identify", { userId, traits });
  expect(res.status, await res.clone().text()).toBe(200);
}
function hero(m: Partial<BannerModel> & { headline: string }, w = 600, h = 250) {
  const model: BannerModel = {
    subline: null,
    cta: null,
    image: null,
    backgroundImage: null,
    overlay: 0,
    ...m,
  };
  return renderer.render(bannerCard("hero", model, w, h, BANNER_THEME), {
    width: w,
    height: h,
    scale: 1,
    format: "png",
  });
}
async function metric(name: string): Promise<number> {
  const text = await (await s.api("/metrics")).text();
  return Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
}

describe("banner blocks", () => {
  it("greets a profiled recipient by first name, and anyone unknown with the default", async () => {
    await identify("u-ann", { email: "ann@example.com", firstName: "Ann", lastName: "Lee" });
    const { status, body } = await createBlock({
      headline: "Hi {{first_name|there}}!",
      subline: "Your picks for {{city|this week}}",
      cta: "Shop now",
      campaign: "greet",
    });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.url).toMatch(new RegExp(`/i/${body.id}\\.png$`));

    const ann = await open(`/i/${body.id}.png?u=ann%40example.com`);
    const annWant = hero({ headline: "Hi Ann!", subline: "Your picks for this week", cta: "Shop now" });
    expect(await samePixels(ann, await annWant), "Hi Ann!").toBe(true);

    const stranger = await open(`/i/${body.id}.png?u=who%40example.com`);
    const defaultWant = hero({ headline: "Hi there!", subline: "Your picks for this week", cta: "Shop now" });
    expect(await samePixels(stranger, await defaultWant), "Hi there!").toBe(true);
    expect(await open(`/i/${body.id}.png`)).toEqual(stranger);

    // Another Ann shares Ann's render: the key is the resolved text, not the person.
    await identify("u-ann2", { email: "ann.other@example.com", first_name: "Ann" });
    const r0 = await metric("opentime_render_cache_renders");
    expect(await open(`/i/${body.id}.png?u=ann.other%40example.com`)).toEqual(ann);
    expect((await metric("opentime_render_cache_renders")) - r0).toBe(0);

    // The profile is live: a changed trait shows at the next open.
    await identify("u-ann", { firstName: "Annie" });
    const annie = await open(`/i/${body.id}.png?u=ann%40example.com`);
    expect(
      await samePixels(
        annie,
        await hero({ headline: "Hi Annie!", subline: "Your picks for this week", cta: "Shop now" }),
      ),
    ).toBe(true);
    const stats = (await (await s.api("/v1/campaigns/greet/stats")).json()) as any;
    expect(stats.opens.total).toBe(5);
  });

  it("draws a profile only for an open that proves it was written for that recipient (us)", async () => {
    await identify("u-pia", { email: "pia@example.com", first_name: "Pia" });
    const { body } = await createBlock({ headline: "Hi {{first_name|there}}!" });
    const pia = await open(`/i/${body.id}.png?u=pia%40example.com`);
    expect(await samePixels(pia, await hero({ headline: "Hi Pia!" }))).toBe(true);
    // Anyone can type an address into u: without a valid us they get the default.
    const want = await hero({ headline: "Hi there!" });
    for (const path of [
      `/i/${body.id}.png?u=pia%40example.com`,
      `/i/${body.id}.png?u=pia%40example.com&us=${"0".repeat(64)}`,
      // A proof for someone else does not open Pia's profile.
      `${await withRecipientProof(s, `/i/${body.id}.png?u=who%40example.com`)}`.replace(
        "who%40example.com",
        "pia%40example.com",
      ),
    ])
      expect(await samePixels(await open(path, false), want), path).toBe(true);
    const key = (await (await s.api("/v1/recipients/key")).json()) as any;
    expect(key).toMatchObject({ unsignedProfiles: false });
    expect(key.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // What an ESP template computes: hex HMAC-SHA256 of the recipient under that key.
    const { createHmac } = await import("node:crypto");
    const us = createHmac("sha256", key.key).update("pia@example.com").digest("hex");
    expect(await open(`/i/${body.id}.png?u=pia%40example.com&us=${us}`, false)).toEqual(pia);
  });

  it("draws a profile's text as plain text, never as markup", async () => {
    await identify("u-mark", { email: "mark@example.com", firstName: "<b>Mark</b>\u202E" });
    const { body } = await createBlock({ headline: "Hi {{first_name}}" });
    const got = await open(`/i/${body.id}.png?u=mark%40example.com`);
    expect(await samePixels(got, await hero({ headline: "Hi <b>Mark</b>" }))).toBe(true);
  });

  it("draws a background image from assets/ under the text", async () => {
    const { status, body } = await createBlock({
      template: "strip",
      headline: "Winter sale",
      cta: "Shop",
      backgroundImage: "banner-waves.jpg",
      overlay: 0,
    });
    expect(status, JSON.stringify(body)).toBe(201);
    const png = await open(`/i/${body.id}.png`);
    const want = renderer.render(
      bannerCard(
        "strip",
        {
          headline: "Winter sale",
          subline: null,
          cta: "Shop",
          image: null,
          backgroundImage: assets.get("banner-waves.jpg")!,
          overlay: 0,
        },
        600,
        100,
        BANNER_THEME,
      ),
      { width: 600, height: 100, scale: 1, format: "png" },
    );
    expect(await samePixels(png, await want)).toBe(true);
    expect(await pixelAt(png, 1, 1)).not.toBe(BANNER_THEME.background);
  });

  it("draws an operator's layout with merge fields", async () => {
    await identify("u-kim", { email: "kim@example.com", name: "Kim Park", address: { city: "Seoul" } });
    const layout = {
      type: "div",
      style: { flexDirection: "column", justifyContent: "center", padding: 24, width: "100%" },
      children: [
        { type: "div", style: { fontSize: 32 }, children: "{{headline}}" },
        {
          type: "span",
          style: { fontSize: 18, color: "#fbbf24", marginTop: 8 },
          children: "From {{city|us}}",
        },
      ],
    };
    const { status, body } = await createBlock({
      headline: "Welcome back, {{first_name|friend}}",
      layout,
      height: 160,
    });
    expect(status, JSON.stringify(body)).toBe(201);
    const got = await open(`/i/${body.id}.png?u=kim%40example.com`);
    const parsed = parseLayout(layout, {
      assets,
      fields: [...PROFILE_FIELDS, "headline", "subline", "cta"],
      families: renderer.families,
    });
    if (!parsed.ok) throw new Error(parsed.issue);
    const values = { first_name: "Kim", city: "Seoul", headline: "Welcome back, Kim", subline: "", cta: "" };
    const model: BannerModel = {
      headline: "Welcome back, Kim",
      subline: null,
      cta: null,
      image: null,
      backgroundImage: null,
      overlay: 0,
    };
    const want = renderer.render(
      customBanner(
        parsed.layout,
        (t) => fillTemplate(t, values, 200),
        model,
        600,
        160,
        BANNER_THEME,
        (r) => assets.get(r),
      ),
      { width: 600, height: 160, scale: 1, format: "png" },
    );
    expect(await samePixels(got, await want)).toBe(true);
  });

  it("refuses bad options and layouts with a 400 that says what is wrong", async () => {
    const deep = (n: number): unknown => (n === 0 ? "x" : { type: "div", children: [deep(n - 1)] });
    const wide = { type: "div", children: Array.from({ length: 61 }, () => ({ type: "span" })) };
    const spans = (n: number) => ({
      type: "div",
      children: Array.from({ length: n }, () => ({ type: "span" })),
    });
    const many = { type: "div", children: [spans(30), spans(30)] };
    const cases: [unknown, RegExp][] = [
      [{ headline: "x".repeat(121) }, /^options\.headline: /],
      [{ headline: "Hi {{email}}" }, /^options\.headline: unknown merge field \{\{email\}\}/],
      [{ headline: "Hi {{first_name" }, /^options\.headline: malformed merge field/],
      [{ template: "poster" }, /^options\.template: /],
      [{ backgroundImage: "https://cdn.example/x.png" }, /^options\.backgroundImage: use a \.png/],
      [{ backgroundImage: "../../etc/passwd.png" }, /^options\.backgroundImage: /],
      [{ backgroundImage: "missing.png" }, /no file "missing\.png" in assets\//],
      [{ background: "red" }, /^options\.background: use #rgb/],
      [{ onload: "x" }, /^options\.onload: unknown option/],
      [{ layout: deep(7) }, /^options\.layout(\.children\.0)+: nested deeper than 6 levels/],
      [{ layout: wide }, /^options\.layout\.children: more than 60 nodes/],
      [{ layout: many }, /^options\.layout: more than 60 nodes/],
      [{ layout: { type: "script" } }, /^options\.layout\.type: use div, span or img/],
      [
        { layout: { type: "div", dangerouslySetInnerHTML: { __html: "<b>" } } },
        /dangerouslySetInnerHTML: not allowed/,
      ],
      [
        { layout: { type: "div", style: { backgroundImage: "url(http://x/y.png)" } } },
        /^options\.layout\.style\.backgroundImage: not an allowed style property/,
      ],
      [
        { layout: { type: "div", style: { color: "expression(alert(1))" } } },
        /^options\.layout\.style\.color: use #rgb/,
      ],
      [{ layout: { type: "div", style: { width: "calc(100% - 1px)" } } }, /^options\.layout\.style\.width: /],
      // Nothing that places a box outside its parent (resvg aborts the process on some).
      [
        { layout: { type: "div", style: { position: "absolute" } } },
        /style\.position: not an allowed style property/,
      ],
      [
        { layout: { type: "div", style: { marginTop: -40 } } },
        /style\.marginTop: use a number of pixels 0\.\.2400/,
      ],
      [{ layout: { type: "div", style: { margin: "0 -10px" } } }, /style\.margin: use 1 to 4 values/],
      [{ layout: { type: "div", style: { borderStyle: "dashed" } } }, /style\.borderStyle: not an allowed/],
      [
        { layout: { type: "span", style: { textDecoration: "underline" } } },
        /style\.textDecoration: not an allowed/,
      ],
      [
        { layout: { type: "img", src: "banner-waves.jpg", width: 10, height: 10, style: { padding: 4 } } },
        /^options\.layout\.style\.padding: not allowed on img .*wrap the img in a div/,
      ],
      [
        {
          layout: {
            type: "img",
            src: "banner-waves.jpg",
            width: 10,
            height: 10,
            style: { objectFit: "contain" },
          },
        },
        /style\.objectFit: use one of cover, fill/,
      ],
      [
        { layout: { type: "div", children: "Hi {{password}}" } },
        /^options\.layout\.children: unknown merge field/,
      ],
      [{ layout: { type: "img", src: "banner-waves.jpg" } }, /^options\.layout\.width: required/],
      [
        { layout: { type: "img", src: "http://169.254.169.254/x.png", width: 10, height: 10 } },
        /^options\.layout\.src: /,
      ],
      [
        { layout: { type: "div", children: ["x".repeat(201)] } },
        /^options\.layout\.children\.0: text is limited/,
      ],
      [{ layout: "just text" }, /^options\.layout: must be an element/],
    ];
    for (const [options, message] of cases) {
      const { status, body } = await createBlock(options);
      expect(status, JSON.stringify(options).slice(0, 200)).toBe(400);
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.message, JSON.stringify(options).slice(0, 200)).toMatch(message);
    }
  });

  it("checks an edit the same way (PATCH with a bad layout → 400, the block unchanged)", async () => {
    const { body } = await createBlock({ headline: "Hello" });
    const res = await s.api(`/v1/blocks/${body.id}`, {
      method: "PATCH",
      json: { options: { layout: { type: "div", style: { zIndex: 5 } } } },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/zIndex: not an allowed style property/);
    const png = await open(`/i/${body.id}.png`);
    expect(await samePixels(png, await hero({ headline: "Hello" }))).toBe(true);
  });
});
