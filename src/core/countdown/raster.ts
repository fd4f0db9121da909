import type { Tile } from "./glyphs.js";
import type { Rect } from "./layout.js";

/** An indexed-colour framebuffer: one palette index per pixel. */
export interface IndexedImage {
  width: number;
  height: number;
  px: Uint8Array;
}

export function createImage(width: number, height: number, fill: number): IndexedImage {
  return { width, height, px: new Uint8Array(width * height).fill(fill) };
}

/** Clips to the image: layouts on tiny canvases may overhang by a pixel. */
function clip(img: IndexedImage, r: Rect): Rect {
  const x0 = Math.max(0, r.x);
  const y0 = Math.max(0, r.y);
  const x1 = Math.min(img.width, r.x + r.w);
  const y1 = Math.min(img.height, r.y + r.h);
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

export function fillRect(img: IndexedImage, r: Rect, index: number): void {
  const c = clip(img, r);
  for (let y = c.y; y < c.y + c.h; y++) img.px.fill(index, y * img.width + c.x, y * img.width + c.x + c.w);
}

/** Paints ink levels through a ramp; level 0 leaves the ground untouched. */
export function blit(img: IndexedImage, t: Tile, x: number, y: number, ramp: Uint8Array): void {
  const { width: W, height: H, px } = img;
  const levels = t.levels;
  // Clip once, then run a bounds-check-free inner loop (this is the hottest loop of a render).
  const tx0 = Math.max(0, -x);
  const ty0 = Math.max(0, -y);
  const tx1 = Math.min(t.w, W - x);
  const ty1 = Math.min(t.h, H - y);
  for (let ty = ty0; ty < ty1; ty++) {
    const src = ty * t.w;
    const dst = (y + ty) * W + x;
    for (let tx = tx0; tx < tx1; tx++) {
      const l = levels[src + tx]!;
      if (l !== 0) px[dst + tx] = ramp[l]!;
    }
  }
}

export function extract(img: IndexedImage, r: Rect): Uint8Array {
  const out = new Uint8Array(r.w * r.h);
  for (let y = 0; y < r.h; y++) {
    const s = (r.y + y) * img.width + r.x;
    out.set(img.px.subarray(s, s + r.w), y * r.w);
  }
  return out;
}

export function union(a: Rect | null, b: Rect): Rect {
  if (!a) return { ...b };
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

export function clipRect(r: Rect, width: number, height: number): Rect {
  return clip({ width, height, px: new Uint8Array(0) }, r);
}

export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
