import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { priceCard } from "../../src/core/cards/price-templates.js";
import { encodeIndexedPng } from "../../src/node/cards/indexed-png.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { rawPixels } from "../helpers/image-snapshot.js";
import { SAMPLES, THEME } from "./samples.js";

/** What any PNG decoder (libpng via sharp) reads back: every pixel, alpha included. */
async function decoded(png: Uint8Array) {
  const meta = await sharp(png).metadata();
  return { ...(await rawPixels(png)), isPalette: meta.isPalette, hasAlpha: meta.hasAlpha };
}

function image(width: number, height: number, colour: (i: number) => [number, number, number, number]) {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set(colour(i), i * 4);
  return rgba;
}

describe("indexed PNG (exact palette)", () => {
  it("decodes to the very same pixels, semi-transparent ones included", async () => {
    const palette: [number, number, number, number][] = [
      [255, 255, 255, 255],
      [17, 24, 39, 255],
      [220, 38, 38, 128],
      [0, 0, 0, 0],
    ];
    const rgba = image(37, 11, (i) => palette[(i * 7 + (i >> 3)) % palette.length]!);
    const png = encodeIndexedPng(rgba, 37, 11)!;
    const got = await decoded(png);
    expect([got.width, got.height, got.isPalette]).toEqual([37, 11, true]);
    expect(Buffer.from(got.data).equals(Buffer.from(rgba))).toBe(true);
  });

  it("an opaque image carries no transparency chunk", async () => {
    const rgba = image(4, 4, (i) => (i % 2 ? [0, 0, 0, 255] : [255, 255, 255, 255]));
    const png = Buffer.from(encodeIndexedPng(rgba, 4, 4)!);
    expect(png.includes("tRNS")).toBe(false);
    expect((await decoded(png)).hasAlpha).toBe(false);
  });

  it("exactly 256 colours still fit; 257 give null (the caller goes truecolour)", () => {
    const grey = (n: number) => image(n, 1, (i) => [i & 255, i >> 8, 0, 255]);
    expect(encodeIndexedPng(grey(256), 256, 1)).not.toBeNull();
    expect(encodeIndexedPng(grey(257), 257, 1)).toBeNull();
  });

  it("works on a view that does not start on a 4-byte boundary", async () => {
    const rgba = image(3, 2, (i) => [i * 40, 0, 255 - i * 40, 255]);
    const shifted = new Uint8Array(rgba.length + 1).subarray(1);
    shifted.set(rgba);
    const got = await decoded(encodeIndexedPng(shifted, 3, 2)!);
    expect(Buffer.from(got.data).equals(Buffer.from(rgba))).toBe(true);
  });

  it("refuses a buffer that does not match the size it is told", () => {
    expect(() => encodeIndexedPng(new Uint8Array(10), 2, 2)).toThrow(/size/);
  });

  it("a flat price card comes out indexed and smaller than truecolour; a card with a photo does not", async () => {
    const renderer = await createSatoriRenderer();
    const tree = priceCard("classic", SAMPLES.drop!, 600, 300, THEME);
    const png = await renderer.render(tree, { width: 600, height: 300, scale: 1, format: "png" });
    const got = await decoded(png);
    expect(got.isPalette).toBe(true);
    // The same pixels through the truecolour path.
    const truecolour = await sharp(got.data, { raw: { width: 600, height: 300, channels: 4 } })
      .png({ compressionLevel: 6 })
      .toBuffer();
    expect(png.byteLength).toBeLessThan(truecolour.byteLength * 0.75);

    // A photo's worth of colours: a 64x64 two-way gradient, 4,096 distinct pixels.
    const gradient = image(64, 64, (i) => [(i % 64) * 4, (i >> 6) * 4, 128, 255]);
    const photoPng = await sharp(gradient, { raw: { width: 64, height: 64, channels: 4 } })
      .png()
      .toBuffer();
    const photo = priceCard(
      "classic",
      { ...SAMPLES.withImage!, image: `data:image/png;base64,${photoPng.toString("base64")}` },
      600,
      300,
      THEME,
    );
    const withPhoto = await renderer.render(photo, { width: 600, height: 300, scale: 1, format: "png" });
    expect((await decoded(withPhoto)).isPalette).toBe(false);
  });

  it("a noisy image (a photo's worth of colours) is left to the truecolour encoder", () => {
    expect(encodeIndexedPng(new Uint8Array(randomBytes(64 * 64 * 4)), 64, 64)).toBeNull();
  });
});

describe("cards drawn at once", () => {
  it("come out byte for byte as when drawn alone (resvg then runs on libuv's pool)", async () => {
    const renderer = await createSatoriRenderer();
    const opts = { width: 600, height: 300, scale: 1 as const, format: "png" as const };
    const trees = ["€69.00", "€70.00", "€71.00", "€72.00"].map((now) =>
      priceCard("classic", { ...SAMPLES.drop!, now }, 600, 300, THEME),
    );
    const alone: Uint8Array[] = [];
    for (const t of trees) alone.push(await renderer.render(t, opts));
    const together = await Promise.all(trees.map((t) => renderer.render(t, opts)));
    for (const [i, png] of together.entries()) {
      expect(Buffer.from(png).equals(Buffer.from(alone[i]!)), `card ${i}`).toBe(true);
    }
    expect(new Set(alone.map((b) => Buffer.from(b).toString("base64"))).size).toBe(4);
  });
});
