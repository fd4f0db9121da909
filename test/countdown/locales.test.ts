import { describe, expect, it } from "vitest";
import {
  COUNTDOWN_LOCALES,
  COUNTDOWN_UNITS,
  renderCountdownGif,
  unitLabel,
} from "../../src/core/countdown/index.js";
import { allUnitLabels } from "../../src/core/countdown/locales.js";
import { decodeGif, deps, opts, readLabel, styleOf } from "./helpers.js";

describe("labels", () => {
  it("pick singular and plural with Intl.PluralRules", () => {
    expect(unitLabel("de", "days", 1)).toBe("Tag");
    expect(unitLabel("de", "days", 2)).toBe("Tage");
    expect(unitLabel("fr", "days", 1)).toBe("jour");
    expect(unitLabel("fr", "days", 2)).toBe("jours");
    expect(unitLabel("fr", "days", 0)).toBe("jour"); // French treats 0 as singular
    expect(unitLabel("en", "days", 0)).toBe("days");
    expect(unitLabel("es", "hours", 1)).toBe("hora");
    expect(unitLabel("it", "minutes", 2)).toBe("minuti");
    expect(unitLabel("nl", "seconds", 1)).toBe("seconde");
    expect(unitLabel("pt", "seconds", 5)).toBe("segundos");
    for (const n of [0, 1, 2, 99]) expect(unitLabel("ja", "days", n)).toBe("日");
  });

  const NOW = Date.parse("2026-06-01T08:00:00Z");
  for (const locale of COUNTDOWN_LOCALES) {
    it(`${locale}: the rendered labels are the right forms for 1 and for 2`, () => {
      for (const n of [1, 2]) {
        const left = n * (86400 + 3600 + 60 + 1);
        const o = opts({ deadline: new Date(NOW + left * 1000).toISOString(), locale, frames: 1 });
        const g = decodeGif(renderCountdownGif(o, NOW, deps));
        const style = styleOf(o, NOW);
        COUNTDOWN_UNITS.forEach((u, cell) => {
          const read = readLabel(
            style,
            o,
            g.frames[0]?.canvas ?? new Uint8Array(),
            cell,
            allUnitLabels(locale, u),
          );
          expect(read, `${locale} ${n} ${u}`).toBe(unitLabel(locale, u, n));
        });
      }
    });
  }

  it("the label follows the value within an animation (2 seconds → 1 second → 0 seconds)", () => {
    const o = opts({ deadline: new Date(NOW + 2000).toISOString(), frames: 3 });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    const style = styleOf(o, NOW);
    const forms = allUnitLabels("en", "seconds");
    expect(g.frames.map((f) => readLabel(style, o, f.canvas, 3, forms))).toEqual([
      "seconds",
      "second",
      "seconds",
    ]);
  });
});
