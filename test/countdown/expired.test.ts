import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { renderCountdownFrameRgba, renderCountdownGif } from "../../src/core/countdown/index.js";
import { fitText } from "../../src/core/countdown/layout.js";
import { engineFor } from "../../src/core/countdown/style.js";
import { encodeStillPng, loadImageRgba } from "../../src/node/countdown/index.js";
import { decodeGif, deps, images, opts, rasterizer, readDigits, styleOf } from "./helpers.js";

const NOW = Date.parse("2026-12-25T09:00:00Z");
const past = "2026-12-24T18:00:00+01:00";

describe("expired state", () => {
  it("shows the chosen text in the digits' style, one frame", () => {
    const o = opts({ deadline: past, expiredText: "Offer ended", digitColor: "#c00000" });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    expect(g.frames).toHaveLength(1);
    const canvas = g.frames[0]?.canvas ?? new Uint8Array();
    // Reference: the same text rasterized directly at the fitted size, placed the same way.
    const placed = fitText("Offer ended", o.font, 600, 120, engineFor(rasterizer).glyphs);
    expect(placed).not.toBeNull();
    const m = rasterizer.rasterize("Offer ended", o.font, placed?.size ?? 0);
    let ink = 0;
    let red = 0;
    for (let i = 0; i < 600 * 120; i++) {
      if ((canvas[i * 4 + 1] as number) < 128) ink++;
      if (canvas[i * 4] === 0xc0 && canvas[i * 4 + 1] === 0) red++;
    }
    let refInk = 0;
    for (const a of m.alpha) if (a >= 128) refInk++;
    expect(red).toBeGreaterThan(500); // solid digit colour inside strokes
    expect(Math.abs(ink - refInk) / refInk).toBeLessThan(0.05);
  });

  it("shows the chosen image from assets/, fitted and quantized", async () => {
    const o = opts({ deadline: past, expiredImage: "offer-ended.png", width: 600, height: 120 });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    expect(g.frames).toHaveLength(1);
    const src = await loadImageRgba(new URL("../../assets/offer-ended.png", import.meta.url).pathname);
    expect([src.width, src.height]).toEqual([600, 120]);
    const canvas = g.frames[0]?.canvas ?? new Uint8Array();
    let err = 0;
    for (let i = 0; i < src.data.length; i += 4)
      for (let k = 0; k < 3; k++) err += Math.abs((canvas[i + k] as number) - (src.data[i + k] as number));
    expect(err / (600 * 120 * 3)).toBeLessThan(2); // flat artwork is kept (nearly) exact
  });

  it("falls back to text, then to zeros, when the image is missing — never negative", () => {
    const withText = opts({ deadline: past, expiredImage: "missing.png", expiredText: "Ended" });
    expect(decodeGif(renderCountdownGif(withText, NOW, deps)).frames).toHaveLength(1);
    const bare = opts({ deadline: past, frames: 60 });
    const g = decodeGif(renderCountdownGif(bare, NOW, deps));
    expect(g.frames).toHaveLength(1);
    expect(readDigits(styleOf(bare, NOW), bare, g.frames[0]?.canvas ?? new Uint8Array())).toEqual([
      "00",
      "00",
      "00",
      "00",
    ]);
  });

  it("renders stills (PNG) of the same frame", async () => {
    const o = opts({ deadline: past, expiredImage: "offer-ended.png", width: 300, height: 60, scale: 2 });
    const png = await encodeStillPng(renderCountdownFrameRgba(o, NOW, deps));
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 600, 120]);
    expect(images.has("offer-ended.png")).toBe(true);
  });
});
