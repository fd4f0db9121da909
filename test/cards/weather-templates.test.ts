import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { CardRenderer } from "../../src/core/cards/types.js";
import { CONTENT_KEYS, type ContentKey, WEATHER_DEFAULTS } from "../../src/core/cards/weather-options.js";
import {
  WEATHER_SIZES,
  type WeatherCardModel,
  type WeatherTemplate,
  weatherCard,
} from "../../src/core/cards/weather-templates.js";
import { loadCardAssets } from "../../src/node/cards/assets.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { matchSnapshot, pixelAt, UPDATE_SNAPSHOTS } from "../helpers/image-snapshot.js";

let renderer: CardRenderer;
beforeAll(async () => {
  renderer = await createSatoriRenderer();
});

/** The card a block with default content shows for this condition in Berlin at 8 °C. */
function model(key: ContentKey, extra: Partial<WeatherCardModel> = {}): WeatherCardModel {
  const d = WEATHER_DEFAULTS[key];
  const known = key !== "neutral";
  return {
    icon: key,
    headline: d.headline,
    text: d.text,
    image: null,
    temperature: known ? "8°C" : null,
    label: known ? "Berlin" : null,
    ...extra,
  };
}
const theme = (key: ContentKey) => ({
  background: WEATHER_DEFAULTS[key].background,
  text: "#111827",
  accent: WEATHER_DEFAULTS[key].accent,
  font: "Roboto",
});

async function draw(template: WeatherTemplate, m: WeatherCardModel, key: ContentKey, scale: 1 | 2 = 1) {
  const { width, height } = WEATHER_SIZES[template];
  const png = await renderer.render(weatherCard(template, m, width, height, theme(key)), {
    width,
    height,
    scale,
    format: "png",
  });
  const meta = await sharp(png).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(["png", width * scale, height * scale]);
  return png;
}

describe("weather card snapshots", () => {
  it.each(CONTENT_KEYS)("card / %s looks like its committed baseline", async (key) => {
    const png = await draw("card", model(key), key);
    await matchSnapshot(`weather-card-${key}`, png);
    // The condition's palette is the card's background.
    expect(await pixelAt(png, 2, 2)).toBe(WEATHER_DEFAULTS[key].background);
  });

  it.each([
    ["banner", "rain"],
    ["banner", "snow"],
    ["banner", "neutral"],
    ["minimal", "clear"],
    ["minimal", "thunderstorm"],
    ["minimal", "neutral"],
  ] as const)("%s / %s looks like its committed baseline", async (template, key) => {
    await matchSnapshot(`weather-${template}-${key}`, await draw(template, model(key), key));
  });

  it("card with the content's image (an asset), at 2x", async () => {
    const image = loadCardAssets().get("banner-sunrise.jpg")!;
    expect(image).toMatch(/^data:image\/jpeg;base64,/);
    const png = await draw("card", model("clear", { image, temperature: "46°F" }), "clear", 2);
    await matchSnapshot("weather-card-clear-image-2x", png);
  });

  it("every condition draws a different card (weather picks content)", async () => {
    const pngs = await Promise.all(CONTENT_KEYS.map((k) => draw("banner", model(k), k)));
    const distinct = new Set(pngs.map((p) => Buffer.from(p).toString("base64")));
    expect(distinct.size).toBe(CONTENT_KEYS.length);
  });

  it("a changed card does not match (the comparison has teeth)", async () => {
    const png = await draw("card", model("rain", { headline: "Rain, rain, go away" }), "rain");
    if (UPDATE_SNAPSHOTS) return;
    await expect(matchSnapshot("weather-card-rain", png)).rejects.toThrow(/pixels differ/);
  });
});
