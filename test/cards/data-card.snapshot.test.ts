import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { type DataCardModel, type DataTheme, dataCard } from "../../src/core/cards/data-templates.js";
import type { CardRenderer } from "../../src/core/cards/types.js";
import { formatValue } from "../../src/core/live/format.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { matchSnapshot, UPDATE_SNAPSHOTS } from "../helpers/image-snapshot.js";

// Snapshot mechanics (tolerance, UPDATE_SNAPSHOTS=1 to accept a change): test/helpers/image-snapshot.ts.
let renderer: CardRenderer;
beforeAll(async () => {
  renderer = await createSatoriRenderer();
});

const THEME: DataTheme = {
  background: "#ffffff",
  text: "#111827",
  muted: "#6b7280",
  up: "#16a34a",
  down: "#dc2626",
  flat: "#6b7280",
  font: "Roboto",
};

const QUOTE_UP: DataCardModel = {
  values: {
    instrument: "ACME Corp (ACME)",
    last: "$187.42",
    change: "+2.31",
    percent: "+1.25%",
    time: "2:30 PM",
  },
  trend: "up",
  spark: [181.2, 182.5, 181.9, 184.1, 185.0, 184.4, 186.3, 187.42],
  notice: "Delayed 15 min",
  unavailable: null,
};
const QUOTE_DOWN: DataCardModel = {
  ...QUOTE_UP,
  values: { ...QUOTE_UP.values, last: "$179.10", change: "-8.32", percent: "-4.44%" },
  trend: "down",
  spark: [187.42, 186.0, 183.5, 181.2, 179.1],
  notice: "Delayed 15 min · as of 5 min ago",
};
const SCORE: DataCardModel = {
  values: { home: "Lions", away: "Eagles", home_score: "2", away_score: "1", status: "78'", time: "" },
  trend: null,
  spark: [],
  notice: "Live",
  unavailable: null,
};

const cases: [string, "quote" | "score", DataCardModel][] = [
  ["data-quote-up", "quote", QUOTE_UP],
  ["data-quote-down", "quote", QUOTE_DOWN],
  ["data-quote-unavailable", "quote", { ...QUOTE_UP, unavailable: "Data unavailable", spark: [] }],
  ["data-score", "score", SCORE],
];

describe("data card snapshots", () => {
  it.each(cases)("%s looks like its committed baseline", async (name, template, model) => {
    const png = await renderer.render(dataCard(template, model, 600, 200, THEME), {
      width: 600,
      height: 200,
      scale: 1,
      format: "png",
    });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 600, 200]);
    await matchSnapshot(name, png);
  });

  it("a changed quote does not match (the comparison has teeth)", async () => {
    const png = await renderer.render(
      dataCard("quote", { ...QUOTE_UP, values: { ...QUOTE_UP.values, last: "$188.42" } }, 600, 200, THEME),
      { width: 600, height: 200, scale: 1, format: "png" },
    );
    if (UPDATE_SNAPSHOTS) return;
    await expect(matchSnapshot("data-quote-up", png)).rejects.toThrow(/pixels differ/);
  });
});

describe("values formatted by locale", () => {
  const now = Date.parse("2026-12-08T14:32:00Z");
  const f = (v: unknown, spec: Parameters<typeof formatValue>[1], locale = "en-US") =>
    formatValue(v, spec, locale, "UTC", now);

  it("numbers, currency, percent (ratio or points), signed changes", () => {
    expect(f(1234.5, { format: "number" })).toBe("1,234.5");
    expect(f("1234.5", { format: "number" }, "de-DE")).toBe("1.234,5");
    expect(f(187.4, { format: "currency", currency: "EUR", digits: 2 }, "de-DE")).toBe("187,40\u00a0€");
    expect(f(0.0125, { format: "percent", digits: 2, signed: true })).toBe("+1.25%");
    expect(f(-4.44, { format: "percent", digits: 2, signed: true, points: true })).toBe("-4.44%");
    expect(f(2.31, { format: "number", digits: 2, signed: true })).toBe("+2.31");
  });

  it("dates, times and relative times from ISO strings and epoch seconds or ms", () => {
    expect(f("2026-12-08T14:30:00Z", { format: "time" })).toBe("2:30 PM");
    expect(f(Date.parse("2026-12-08T14:30:00Z") / 1000, { format: "date" })).toBe("Dec 8, 2026");
    expect(f(now - 120_000, { format: "relative" })).toBe("2 min. ago");
    expect(f(now - 120_000, { format: "relative" }, "de-DE")).toBe("vor 2 Min.");
    expect(f(now - 3 * 86_400_000, { format: "relative" })).toBe("3 days ago");
  });

  it("a value that cannot be written in its format is null (the field's fallback is drawn)", () => {
    expect(f(undefined, { format: "text" })).toBeNull();
    expect(f("n/a", { format: "number" })).toBeNull();
    expect(f({ a: 1 }, { format: "text" })).toBeNull();
    expect(f("yesterday-ish", { format: "date" })).toBeNull();
  });
});
