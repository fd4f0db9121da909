/**
 * Expired-state images: PNG or GIF files in assets/ decoded to RGBA with
 * sharp, once, ahead of rendering (the render path is synchronous and must
 * not touch the disk). Only plain file names inside the folder are served.
 */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import type { RgbaImage } from "../../core/countdown/index.js";

export const DEFAULT_ASSETS_DIR = resolve(import.meta.dirname, "../../../assets");

/** Decoding is capped: an expired banner never needs more than the largest retina canvas. */
const MAX_SIDE = 2400;

export async function loadImageRgba(path: string): Promise<RgbaImage> {
  const { data, info } = await sharp(path, { animated: false, limitInputPixels: 40_000_000 })
    .resize(MAX_SIDE, MAX_SIDE, { fit: "inside", withoutEnlargement: true })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** Every .png/.gif in the directory, keyed by file name, for `CountdownDeps.images`. */
export async function loadExpiredImages(dir: string = DEFAULT_ASSETS_DIR): Promise<Map<string, RgbaImage>> {
  const out = new Map<string, RgbaImage>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    if (!/\.(png|gif)$/i.test(name)) continue;
    try {
      out.set(name, await loadImageRgba(join(dir, name)));
    } catch {
      // A corrupt asset must not stop the server; that image then falls back to the expired text.
    }
  }
  return out;
}
