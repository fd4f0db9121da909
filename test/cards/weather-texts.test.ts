import satori from "satori";
import { describe, expect, it } from "vitest";
import { CONTENT_KEYS } from "../../src/core/cards/weather-options.js";
import { WEATHER_TEXT_LANGUAGES, weatherTexts } from "../../src/core/cards/weather-texts.js";
import { loadCardFonts } from "../../src/node/cards/satori-renderer.js";

describe("built-in weather texts", () => {
  it("pick the language of the locale, English when it has none", () => {
    expect(weatherTexts("fr-CA").snow.headline).toBe("Jour de neige\u00a0!");
    expect(weatherTexts("PT-br").clear.headline).toBe("Chegaram os dias de sol");
    expect(weatherTexts("sv-SE").rain.headline).toBe("Rainy day? Stay dry.");
    expect(weatherTexts("en-US").neutral.text).toBe("Something for every kind of day.");
  });

  it("every language has every condition, and the card fonts draw every character of it", async () => {
    const { fonts } = loadCardFonts();
    for (const lang of ["en", ...WEATHER_TEXT_LANGUAGES]) {
      const texts = weatherTexts(lang);
      for (const k of CONTENT_KEYS) {
        expect(texts[k].headline.length, `${lang} ${k}`).toBeGreaterThan(0);
        expect(texts[k].text.length, `${lang} ${k}`).toBeGreaterThan(0);
      }
      // satori asks for an extra asset for every run of text no font has a glyph for.
      const missing: string[] = [];
      const words = CONTENT_KEYS.flatMap((k) => [texts[k].headline, texts[k].text]).join(" ");
      await satori(
        { type: "div", props: { style: { display: "flex", fontFamily: "Roboto" }, children: words } },
        {
          width: 4000,
          height: 400,
          fonts,
          loadAdditionalAsset: async (_code: string, segment: string) => {
            missing.push(segment);
            return [];
          },
        },
      );
      expect(missing, `${lang}: characters no card font has`).toEqual([]);
    }
  });
});
