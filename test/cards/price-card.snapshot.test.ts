import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { type PriceTemplate, priceCard } from "../../src/core/cards/price-templates.js";
import type { CardRenderer } from "../../src/core/cards/types.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { matchSnapshot, UPDATE_SNAPSHOTS } from "../helpers/image-snapshot.js";
import { SAMPLES, THEME } from "./samples.js";

// Snapshot mechanics (tolerance, UPDATE_SNAPSHOTS=1 to accept a change): test/helpers/image-snapshot.ts.
let renderer: CardRenderer;
beforeAll(async () => {
  renderer = await createSatoriRenderer();
});

const cases: [string, PriceTemplate, keyof typeof SAMPLES, number, number, 1 | 2][] = [
  ["classic-drop", "classic", "drop", 600, 300, 1],
  ["classic-sold-out", "classic", "soldOut", 600, 300, 1],
  ["classic-image", "classic", "withImage", 600, 300, 1],
  ["classic-drop-2x", "classic", "drop", 300, 150, 2],
  ["compact-drop", "compact", "drop", 600, 120, 1],
  ["tile-drop", "tile", "drop", 300, 420, 1],
  ["tile-image", "tile", "withImage", 300, 420, 1],
  ["tile-sold-out-2x", "tile", "soldOut", 300, 420, 2],
];

describe("price card snapshots", () => {
  it.each(cases)("%s looks like its committed baseline", async (name, template, sample, w, h, scale) => {
    const png = await renderer.render(priceCard(template, SAMPLES[sample]!, w, h, THEME), {
      width: w,
      height: h,
      scale,
      format: "png",
    });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", w * scale, h * scale]);
    await matchSnapshot(name, png);
  });

  it("a changed card does not match (the comparison has teeth)", async () => {
    const png = await renderer.render(
      priceCard("classic", { ...SAMPLES.drop!, now: "€69.00" }, 600, 300, THEME),
      { width: 600, height: 300, scale: 1, format: "png" },
    );
    if (UPDATE_SNAPSHOTS) return;
    await expect(matchSnapshot("classic-drop", png)).rejects.toThrow(/pixels differ/);
  });

  it.each(["jpg", "webp", "gif"] as const)("encodes %s at the asked size", async (format) => {
    const bytes = await renderer.render(priceCard("classic", SAMPLES.drop!, 600, 300, THEME), {
      width: 600,
      height: 300,
      scale: 2,
      format,
    });
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([format === "jpg" ? "jpeg" : format, 1200, 600]);
  });
});
