import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { expect } from "vitest";

/**
 * Image snapshots for cards: render → PNG → decoded pixels compared with a committed
 * baseline under test/fixtures/cards/. Fonts come from fonts/ (committed), so renders are
 * deterministic; a small tolerance absorbs anti-aliasing differences between resvg builds.
 * To accept a deliberate change: UPDATE_SNAPSHOTS=1 npx vitest --run test/cards, then look
 * at the PNGs.
 */
export const SNAPSHOT_DIR = resolve(import.meta.dirname, "../fixtures/cards");
export const UPDATE_SNAPSHOTS = process.env.UPDATE_SNAPSHOTS === "1";
/** A pixel "differs" when a channel is off by more than this … */
const CHANNEL_TOLERANCE = 24;
/** … and at most this share of pixels may differ. */
const MAX_DIFF_SHARE = 0.002;

export async function rawPixels(png: Uint8Array) {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

export async function matchSnapshot(name: string, png: Uint8Array): Promise<void> {
  const file = join(SNAPSHOT_DIR, `${name}.png`);
  if (UPDATE_SNAPSHOTS) {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    writeFileSync(file, png);
    return;
  }
  expect(existsSync(file), `no baseline ${file}: run with UPDATE_SNAPSHOTS=1 once and commit it`).toBe(true);
  const [got, want] = await Promise.all([rawPixels(png), rawPixels(await sharp(file).png().toBuffer())]);
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

/** The colour of one pixel as #rrggbb (for "the background is the rain blue" checks). */
export async function pixelAt(png: Uint8Array, x: number, y: number): Promise<string> {
  const { data, width } = await rawPixels(png);
  const i = (y * width + x) * 4;
  return `#${[data[i]!, data[i + 1]!, data[i + 2]!].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Whether two images decode to the same pixels (PNG bytes may differ in metadata chunks;
 * what a recipient sees may not). A byte compare: toEqual on ~1 MB typed arrays takes seconds.
 */
export async function samePixels(a: Uint8Array, b: Uint8Array): Promise<boolean> {
  const [x, y] = await Promise.all([rawPixels(a), rawPixels(b)]);
  return x.width === y.width && x.height === y.height && Buffer.from(x.data).equals(Buffer.from(y.data));
}
