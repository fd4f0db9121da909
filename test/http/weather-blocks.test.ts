import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { layoutTree, parseLayout } from "../../src/core/cards/banner-layout.js";
import { fillTemplate } from "../../src/core/cards/merge-fields.js";
import type { CardRenderer } from "../../src/core/cards/types.js";
import { el } from "../../src/core/cards/types.js";
import { WEATHER_DEFAULTS, WEATHER_LAYOUT_FIELDS } from "../../src/core/cards/weather-options.js";
import { weatherCard } from "../../src/core/cards/weather-templates.js";
import { weatherTexts } from "../../src/core/cards/weather-texts.js";
import { createOpenMeteoProvider } from "../../src/core/weather/open-meteo.js";
import { loadCardAssets } from "../../src/node/cards/assets.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { SLOWDOWN } from "../helpers/budget.js";
import { pixelAt, samePixels } from "../helpers/image-snapshot.js";
import { type OpenMeteoStandIn, startOpenMeteoStandIn } from "../helpers/open-meteo.js";
import { startTestServer, type TestServer, withRecipientProof } from "../helpers/server.js";
import { post, WRITE_KEY } from "../segment/helpers.js";

/**
 * Weather blocks end to end: a real server whose OPENTIME_WEATHER_URL points at a loopback
 * stand-in speaking Open-Meteo's JSON. Data age runs on an injected clock; the time budget
 * is real time, so the slow-provider test takes a few seconds.
 */
let now = Date.parse("2026-11-20T10:00:00Z");
const clock = { now: () => now };
const TTL_MS = 900_000;
// The server's weather times (an open waits 800 ms, a request is aborted after 5 s), and this
// test's slow provider and latency bounds with them, stretched on a loaded machine, which
// answers even loopback slowly.
const STRETCH = SLOWDOWN;
const BUDGET_MS = Math.ceil(800 * STRETCH);
let meteo: OpenMeteoStandIn;
let s: TestServer;
let renderer: CardRenderer;

beforeAll(async () => {
  renderer = await createSatoriRenderer();
  meteo = await startOpenMeteoStandIn();
  s = await startTestServer({ OPENTIME_WEATHER_URL: meteo.url, OPENTIME_WRITE_KEY: WRITE_KEY }, undefined, {
    clock,
    weather: {
      provider: createOpenMeteoProvider({ baseUrl: meteo.url }),
      ttlMs: TTL_MS,
      budgetMs: BUDGET_MS,
      fetchTimeoutMs: Math.ceil(5000 * STRETCH),
    },
  });
});
afterAll(async () => {
  await s?.cleanup();
  await meteo?.close();
});

async function createBlock(options: Record<string, unknown>) {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type: "weather", options } });
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body as { id: string; url: string };
}
async function open(path: string) {
  const url = `${s.url}${await withRecipientProof(s, path)}`;
  const started = performance.now();
  const res = await fetch(url);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  expect(res.headers.get("cache-control")).toContain("no-store");
  const meta = await sharp(bytes).metadata();
  expect(meta.format).toBe("png");
  return { res, bytes, ms: performance.now() - started, fallback: res.headers.get("x-opentime-fallback") };
}
/** The card's background colour: the condition's palette (see WEATHER_DEFAULTS). */
const background = (png: Uint8Array) => pixelAt(png, 2, 2);
/** A 600x300 rain card as the engine draws it with the built-in rain palette. */
const rainCard = (texts: { headline: string; text: string }, temperature: string, label: string) =>
  renderer.render(
    weatherCard("card", { icon: "rain", ...texts, image: null, temperature, label }, 600, 300, {
      background: WEATHER_DEFAULTS.rain.background,
      text: "#111827",
      accent: WEATHER_DEFAULTS.rain.accent,
      font: "Roboto",
    }),
    { width: 600, height: 300, scale: 1, format: "png" },
  );

describe("weather blocks", () => {
  it("draws the weather at the block's place: rain and clear give different cards", async () => {
    meteo.weather.set("52.5,13.4", { temperature: 7.9, code: 61 });
    meteo.weather.set("40.4,-3.7", { temperature: 21.2, code: 0 });
    const berlin = await createBlock({
      location: { lat: 52.52, lon: 13.41, label: "Berlin" },
      locale: "en-GB",
      content: { rain: { headline: "Rain, rain", text: "Boots are 20% off" } },
      campaign: "wx",
    });
    expect(berlin.url).toMatch(new RegExp(`/i/${berlin.id}\\.png$`));
    const madrid = await createBlock({ location: { lat: 40.42, lon: -3.7, label: "Madrid" } });

    const rain = await open(`/i/${berlin.id}.png?u=ann%40example.com`);
    expect(rain.fallback).toBeNull();
    // Exactly what the card engine draws for that weather, with the block's rain content.
    const want = await rainCard({ headline: "Rain, rain", text: "Boots are 20% off" }, "8°C", "Berlin");
    expect(await samePixels(rain.bytes, want), "the rain card as the engine draws it").toBe(true);

    const clear = await open(`/i/${madrid.id}.png`);
    expect(clear.fallback).toBeNull();
    expect(await background(clear.bytes)).toBe(WEATHER_DEFAULTS.clear.background);
    expect(clear.bytes).not.toEqual(rain.bytes);
    const stats = (await (await s.api("/v1/campaigns/wx/stats")).json()) as any;
    expect(stats.opens.total).toBe(1);
  });

  it("speaks the block's language when it has no texts of its own (German, Japanese)", async () => {
    meteo.weather.set("48.1,11.6", { temperature: 7.9, code: 63 }); // Munich: rain
    const draw = (lang: string, temperature: string) =>
      rainCard(weatherTexts(lang).rain, temperature, "München");
    const place = { lat: 48.14, lon: 11.58, label: "München" };
    const de = await createBlock({ location: place, locale: "de-DE" });
    const ja = await createBlock({ location: place, locale: "ja-JP" });
    const en = await createBlock({ location: place, locale: "en-GB" });
    const [deCard, jaCard, enCard] = await Promise.all(
      [de, ja, en].map((b) => open(`/i/${b.id}.png`).then((r) => r.bytes)),
    );
    expect(weatherTexts("de-DE").rain.headline).toBe("Regentag? Bleib trocken.");
    expect(await samePixels(deCard!, await draw("de", "8 °C")), "German texts, German unit style").toBe(true);
    expect(await samePixels(jaCard!, await draw("ja", "8°C")), "Japanese texts").toBe(true);
    expect(await samePixels(enCard!, deCard!)).toBe(false);
  });

  it("takes the place from the URL first, then the block, then the profile, then the default", async () => {
    meteo.weather.set("59.9,10.8", { temperature: -3, code: 73 }); // Oslo: snow
    meteo.weather.set("48.9,2.4", { temperature: 12, code: 3 }); // Paris: overcast
    meteo.weather.set("45.5,9.2", { temperature: 14, code: 95 }); // Milan: thunderstorm
    const res = await post(s, "/v1/identify", {
      userId: "u-oslo",
      traits: {
        email: "ola@example.no",
        firstName: "Ola",
        address: { city: "Oslo", lat: 59.91, lon: 10.75 },
      },
    });
    expect(res.status, await res.clone().text()).toBe(200);

    const block = await createBlock({
      template: "banner",
      defaultLocation: { lat: 48.86, lon: 2.35, label: "Paris" },
    });
    const fromProfile = await open(`/i/${block.id}.png?u=ola%40example.no`);
    expect(await background(fromProfile.bytes)).toBe(WEATHER_DEFAULTS.snow.background);
    const fromUrl = await open(`/i/${block.id}.png?u=ola%40example.no&lat=45.46&lon=9.19`);
    expect(await background(fromUrl.bytes)).toBe(WEATHER_DEFAULTS.thunderstorm.background);
    const fallbackPlace = await open(`/i/${block.id}.png?u=nobody%40example.com`);
    expect(await background(fallbackPlace.bytes)).toBe(WEATHER_DEFAULTS.cloudy.background);
    // A malformed URL place is ignored, not an error.
    const badUrl = await open(`/i/${block.id}.png?u=ola%40example.no&lat=91&lon=x`);
    expect(badUrl.bytes).toEqual(fromProfile.bytes);

    const fixed = await createBlock({ template: "minimal", location: { lat: 45.46, lon: 9.19 } });
    const fixedForOla = await open(`/i/${fixed.id}.png?u=ola%40example.no`);
    expect(await background(fixedForOla.bytes)).toBe(WEATHER_DEFAULTS.thunderstorm.background);

    // Nowhere known: the neutral card, which is the design and not a fallback.
    const nowhere = await createBlock({});
    const neutral = await open(`/i/${nowhere.id}.png?u=nobody%40example.com`);
    expect(neutral.fallback).toBeNull();
    expect(await background(neutral.bytes)).toBe(WEATHER_DEFAULTS.neutral.background);
    // The provider is asked for the cell's centre, never the recipient's exact position.
    expect(meteo.requestsFor("59.9", "10.8")).toBe(1);
    expect(meteo.requests.some((q) => q.get("latitude") === "59.91")).toBe(false);
  });

  it("asks the provider once per place within the TTL, however many open at once", async () => {
    meteo.weather.set("48.1,11.6", { temperature: 4, code: 2 });
    const block = await createBlock({ template: "banner" });
    // Three spellings of Munich in one 0.1° cell, 30 concurrent opens.
    const coords = ["48.137,11.575", "48.14,11.58", "48.1372,11.5756"];
    const all = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const [lat, lon] = coords[i % 3]!.split(",");
        return open(`/i/${block.id}.png?lat=${lat}&lon=${lon}`);
      }),
    );
    for (const r of all) expect(r.bytes).toEqual(all[0]!.bytes);
    expect(meteo.requestsFor("48.1", "11.6")).toBe(1);

    now += TTL_MS - 1000;
    await open(`/i/${block.id}.png?lat=48.137&lon=11.575`);
    expect(meteo.requestsFor("48.1", "11.6")).toBe(1);
    now += 2000;
    await open(`/i/${block.id}.png?lat=48.137&lon=11.575`);
    expect(meteo.requestsFor("48.1", "11.6")).toBe(2);
  });

  it("shares renders between places in the same weather (the location is not in the cache key)", async () => {
    meteo.weather.set("53.6,10", { temperature: 9.6, code: 63 });
    meteo.weather.set("53.1,8.8", { temperature: 10.4, code: 65 });
    const block = await createBlock({ template: "minimal", units: "c" });
    const r0 = await metric("opentime_render_cache_renders");
    const hamburg = await open(`/i/${block.id}.png?lat=53.56&lon=9.99`);
    const bremen = await open(`/i/${block.id}.png?lat=53.08&lon=8.8`);
    expect(bremen.bytes).toEqual(hamburg.bytes); // both rain, both 10°C
    expect((await metric("opentime_render_cache_renders")) - r0).toBe(1);
  });

  it("serves the last known weather when the provider answers 500, and backs off", async () => {
    meteo.weather.set("50.9,7", { temperature: 5, code: 61 });
    const block = await createBlock({ location: { lat: 50.94, lon: 6.96, label: "Köln" } });
    const fresh = await open(`/i/${block.id}.png`);
    expect(await background(fresh.bytes)).toBe(WEATHER_DEFAULTS.rain.background);
    const before = meteo.requestsFor("50.9", "7");

    meteo.mode = { kind: "status", status: 500 };
    try {
      now += TTL_MS + 1000;
      const stale = await open(`/i/${block.id}.png`);
      expect(meteo.requestsFor("50.9", "7")).toBe(before + 1);
      expect(stale.fallback).toBeNull();
      expect(stale.bytes).toEqual(fresh.bytes);
      // Backing off: the next opens do not ask again right away.
      await open(`/i/${block.id}.png`);
      await open(`/i/${block.id}.png`);
      expect(meteo.requestsFor("50.9", "7")).toBe(before + 1);
      // A place never fetched has nothing to fall back on: the neutral card, with the reason.
      const unknown = await open(`/i/${block.id}.png?lat=-33.87&lon=151.21`);
      expect(unknown.fallback).toMatch(/^weather_(provider_error|backoff)$/);
      expect(await background(unknown.bytes)).toBe(WEATHER_DEFAULTS.neutral.background);
    } finally {
      meteo.mode = { kind: "ok" };
    }
    // Once the backoff has passed, the provider is asked again and the card is current.
    meteo.weather.set("50.9,7", { temperature: 6, code: 0 });
    now += 60_000;
    const recovered = await open(`/i/${block.id}.png`);
    expect(recovered.fallback).toBeNull();
    expect(await background(recovered.bytes)).toBe(WEATHER_DEFAULTS.clear.background);
  });

  it("treats a null temperature (Open-Meteo's non-finite) as a failed answer, not a drawing of NaN", async () => {
    meteo.weather.set("1.3,103.8", { temperature: null, code: 61 });
    const block = await createBlock({ location: { lat: 1.29, lon: 103.85 } });
    const r = await open(`/i/${block.id}.png`);
    expect(r.fallback).toBe("weather_provider_error");
    expect(await background(r.bytes)).toBe(WEATHER_DEFAULTS.neutral.background);
  });

  it("answers within the time budget when the provider is slow, and the late answer fills the cache", async () => {
    meteo.weather.set("41.9,12.5", { temperature: 18, code: 0 });
    const block = await createBlock({ location: { lat: 41.9, lon: 12.5 } });
    const slowMs = Math.ceil(3000 * STRETCH);
    meteo.mode = { kind: "slow", ms: slowMs };
    const answeredBefore = meteo.answered;
    try {
      const first = await open(`/i/${block.id}.png`);
      expect(first.ms).toBeLessThan(1500 * STRETCH);
      expect(first.fallback).toBe("weather_timeout");
      expect(await background(first.bytes)).toBe(WEATHER_DEFAULTS.neutral.background);
      // Opens during the slow request do not wait a budget each, nor ask again.
      const second = await open(`/i/${block.id}.png`);
      expect(second.ms).toBeLessThan(1000 * STRETCH);
      expect(meteo.requestsFor("41.9", "12.5")).toBe(1);
      // The late answer arrives and is kept.
      await vi.waitFor(() => expect(meteo.answered).toBeGreaterThan(answeredBefore), {
        timeout: slowMs + 4 * BUDGET_MS,
        interval: 50,
      });
    } finally {
      meteo.mode = { kind: "ok" };
    }
    const later = await vi.waitFor(
      async () => {
        const r = await open(`/i/${block.id}.png`);
        expect(r.fallback).toBeNull();
        return r;
      },
      { timeout: 4 * BUDGET_MS, interval: 50 },
    );
    expect(await background(later.bytes)).toBe(WEATHER_DEFAULTS.clear.background);
    expect(meteo.requestsFor("41.9", "12.5")).toBe(1);
  });

  it("draws an operator's own layout with the weather's texts, per condition", async () => {
    meteo.weather.set("48.1,11.6", { temperature: -2.4, code: 71 });
    const layout = {
      type: "div",
      style: { flexDirection: "column", padding: 16, width: "100%" },
      children: [
        { type: "div", style: { fontSize: 30 }, children: "{{temperature}} in {{location|town}}" },
        { type: "span", style: { fontSize: 18 }, children: "{{headline}} ({{condition}})" },
      ],
    };
    const block = await createBlock({
      location: { lat: 48.14, lon: 11.58, label: "München" },
      locale: "de-DE",
      width: 400,
      height: 150,
      content: { snow: { headline: "Schnee!" } },
      layout,
    });
    const got = await open(`/i/${block.id}.png`);
    expect(got.fallback).toBeNull();
    const parsed = parseLayout(layout, {
      assets: loadCardAssets(),
      fields: WEATHER_LAYOUT_FIELDS,
      families: renderer.families,
    });
    if (!parsed.ok) throw new Error(parsed.issue);
    const values: Record<string, string> = {
      temperature: "-2 °C",
      location: "München",
      headline: "Schnee!",
      condition: "snow",
    };
    const want = await renderer.render(
      el(
        "div",
        {
          display: "flex",
          width: 400,
          height: 150,
          overflow: "hidden",
          backgroundColor: WEATHER_DEFAULTS.snow.background,
          color: "#111827",
          fontFamily: "Roboto",
        },
        layoutTree(
          parsed.layout,
          (t) => fillTemplate(t, values, 200),
          () => undefined,
        ),
      ),
      { width: 400, height: 150, scale: 1, format: "png" },
    );
    expect(await samePixels(got.bytes, want)).toBe(true);
    const bad = await s.api("/v1/blocks", {
      method: "POST",
      json: { type: "weather", options: { layout: { type: "div", children: "{{price}}" } } },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toMatch(/^options\.layout\.children.*price/);
  });

  it("refuses bad options with a 400 naming the field", async () => {
    const cases: [unknown, RegExp][] = [
      [{ units: "kelvin" }, /^options\.units: /],
      [{ template: "poster" }, /^options\.template: /],
      [{ location: { lat: 95, lon: 0 } }, /^options\.location\.lat: /],
      [{ location: { lat: 1, lon: 2, street: "x" } }, /^options\.location\.street: unknown option/],
      [{ content: { sunny: { headline: "x" } } }, /^options\.content\.sunny: unknown option/],
      [
        { content: { rain: { headline: "Hi {{email}}" } } },
        /^options\.content\.rain\.headline: unknown merge field/,
      ],
      [{ content: { rain: { headline: "x", image: "../secret.png" } } }, /^options\.content\.rain\.image: /],
      [{ content: { rain: { headline: "x", image: "nope.png" } } }, /no file "nope\.png" in assets/],
      [
        { content: { rain: { headline: "x", image: "https://evil.example/a.png" } } },
        /assets\/ or a data: URL/,
      ],
      [{ width: 5000 }, /^options\.width: /],
      [{ font: "Comic Sans" }, /^options\.font: use one of/],
      [{ locale: "xx-notreal-123456789" }, /^options\.locale: /],
    ];
    for (const [options, message] of cases) {
      const res = await s.api("/v1/blocks", { method: "POST", json: { type: "weather", options } });
      const body = (await res.json()) as any;
      expect(res.status, JSON.stringify(options)).toBe(400);
      expect(body.error.message, JSON.stringify(options)).toMatch(message);
    }
  });

  it("uses Fahrenheit for US locales unless told otherwise", async () => {
    meteo.weather.set("40.7,-74", { temperature: 10, code: 0 });
    const us = await createBlock({
      template: "minimal",
      locale: "en-US",
      location: { lat: 40.71, lon: -74.01 },
    });
    const celsius = await createBlock({
      template: "minimal",
      locale: "en-US",
      units: "c",
      location: { lat: 40.71, lon: -74.01 },
    });
    const f = await open(`/i/${us.id}.png`);
    const c = await open(`/i/${celsius.id}.png`);
    const draw = (temperature: string) =>
      renderer.render(
        weatherCard(
          "minimal",
          {
            icon: "clear",
            headline: WEATHER_DEFAULTS.clear.headline,
            text: WEATHER_DEFAULTS.clear.text,
            image: null,
            temperature,
            label: null,
          },
          300,
          100,
          {
            background: WEATHER_DEFAULTS.clear.background,
            text: "#111827",
            accent: WEATHER_DEFAULTS.clear.accent,
            font: "Roboto",
          },
        ),
        { width: 300, height: 100, scale: 1, format: "png" },
      );
    expect(await samePixels(f.bytes, await draw("50°F")), "50°F").toBe(true);
    expect(await samePixels(c.bytes, await draw("10°C")), "10°C").toBe(true);
  });
});

describe("weather blocks when the provider refuses connections", () => {
  it("serve the last known weather, and the neutral card for places never fetched", async () => {
    let t = Date.parse("2026-11-20T10:00:00Z");
    const down = await startOpenMeteoStandIn();
    const server = await startTestServer({ OPENTIME_WEATHER_URL: down.url }, undefined, {
      clock: { now: () => t },
    });
    try {
      down.weather.set("47.4,8.5", { temperature: -1, code: 71 });
      const res = await server.api("/v1/blocks", {
        method: "POST",
        json: { type: "weather", options: { location: { lat: 47.37, lon: 8.54, label: "Zürich" } } },
      });
      const { id } = (await res.json()) as any;
      const get = async (q = "") => {
        const r = await fetch(`${server.url}/i/${id}.png${q}`);
        return {
          fallback: r.headers.get("x-opentime-fallback"),
          bytes: new Uint8Array(await r.arrayBuffer()),
        };
      };
      const snow = await get();
      expect(await background(snow.bytes)).toBe(WEATHER_DEFAULTS.snow.background);

      await down.close();
      t += TTL_MS + 1000;
      const stale = await get();
      expect(stale.fallback).toBeNull();
      expect(stale.bytes).toEqual(snow.bytes);
      const unknown = await get("?lat=35.68&lon=139.69");
      expect(unknown.fallback).toBe("weather_provider_error");
      expect(await background(unknown.bytes)).toBe(WEATHER_DEFAULTS.neutral.background);
      // Far past what is still worth showing (6 h): neutral too, rather than old weather.
      t += 7 * 3600_000;
      const tooOld = await get();
      expect(tooOld.fallback).toMatch(/^weather_/);
      expect(await background(tooOld.bytes)).toBe(WEATHER_DEFAULTS.neutral.background);
    } finally {
      await server.cleanup();
    }
  });
});

async function metric(name: string): Promise<number> {
  const text = await (await s.api("/metrics")).text();
  return Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
}
