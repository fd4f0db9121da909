import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { type PriceTemplate, priceCard } from "../../src/core/cards/price-templates.js";
import type { CardRenderer } from "../../src/core/cards/types.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { SAMPLES, THEME } from "./samples.js";

/**
 * Image snapshots: render → PNG → decoded pixels compared with a committed baseline under
 * test/fixtures/cards/. Fonts come from fonts/ (committed), so renders are deterministic;
 * a small tolerance absorbs anti-aliasing differences between resvg builds. To accept a
 * deliberate change: UPDATE_SNAPSHOTS=1 npx vitest --run test/cards, then look at the PNGs.
 */
const DIR = resolve(import.meta.dirname, "../fixtures/cards");
const UPDATE = process.env.UPDATE_SNAPSHOTS === "1";
/** A pixel "differs" when a channel is off by more than this … */
const CHANNEL_TOLERANCE = 24;
/** … and at most this share of pixels may differ. */
const MAX_DIFF_SHARE = 0.002;

let renderer: CardRenderer;
beforeAll(async () => {
  renderer = await createSatoriRenderer();
});

async function raw(png: Uint8Array) {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function matchSnapshot(name: string, png: Uint8Array) {
  const file = join(DIR, `${name}.png`);
  if (UPDATE) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, png);
    return;
  }
  expect(existsSync(file), `no baseline ${file}: run with UPDATE_SNAPSHOTS=1 once and commit it`).toBe(true);
  const [got, want] = await Promise.all([raw(png), raw(await sharp(file).png().toBuffer())]);
  expect([got.width, got.height], `${name}: size`).toEqual([want.width, want.height]);
  let differing = 0;
  for (let i = 0; i < got.data.length; i += 4) {
    for (let c = 0; c < 4; c++) {
      if (Math.abs(got.data[i + c]! - want.data[i + c]!) > CHANNEL_TOLERANCE) {
        differing++;
        break;
      }
    }
  }
  const share = differing / (got.width * got.height);
  expect(share, `${name}: ${differing} pixels differ from ${file}`).toBeLessThanOrEqual(MAX_DIFF_SHARE);
}

const cases: [string, PriceTemplate, keyof typeof SAMPLES, number, number, 1 | 2][] = [
  ["classic-drop", "classic", "drop", 600, 300, 1],
  ["classic-sold-out", "classic", "soldOut", 600, 300, 1],
  ["classic-image", "classic", "withImage", 600, 300, 1],
  ["classic-drop-2x", "classic", "drop", 300, 150, 2],
  ["compact-drop", "compact", "drop", 600, 120, 1],
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
    if (UPDATE) return;
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
