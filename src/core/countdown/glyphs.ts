/**
 * Glyphs are rasterized once per (font, size, text) through a port, then kept
 * as quantized coverage tiles. Rasterizing is the only slow step (~1 ms per
 * string with resvg), so a warm server never does it on the request path.
 */
import { LEVELS } from "./palette.js";

/** Coverage mask of `text` drawn at `sizePx`: one alpha byte per pixel. */
export interface GlyphMask {
  width: number;
  height: number;
  alpha: Uint8Array;
  /** Row of the text baseline inside the mask, so strings of one size align. */
  baseline: number;
}

export interface GlyphRasterizer {
  rasterize(text: string, font: string, sizePx: number): GlyphMask;
}

/** Ink-tight tile: `levels` are coverage levels 0..LEVELS-1, `top` is relative to the baseline (negative = above). */
export interface Tile {
  w: number;
  h: number;
  top: number;
  levels: Uint8Array;
}

const EMPTY: Tile = { w: 0, h: 0, top: 0, levels: new Uint8Array(0) };

export function toTile(m: GlyphMask): Tile {
  const { width: W, height: H, alpha } = m;
  let x0 = W;
  let x1 = -1;
  let y0 = H;
  let y1 = -1;
  const q = (a: number) => ((a * (LEVELS - 1) + 127) / 255) | 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (q(alpha[y * W + x] as number) > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return EMPTY;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const levels = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) levels[y * w + x] = q(alpha[(y + y0) * W + x + x0] as number);
  }
  return { w, h, top: y0 - m.baseline, levels };
}

/**
 * Bounded by bytes, not entries: one 1200×600 retina style holds tiles of a
 * few hundred KB, a 400×100 style a few KB. 24 MB keeps hundreds of typical
 * styles warm while capping what many odd styles can pin in memory.
 */
const MAX_TILE_BYTES = 24 * 1024 * 1024;

export class GlyphCache {
  private readonly tiles = new Map<string, Tile>();
  private bytes = 0;
  constructor(
    private readonly rasterizer: GlyphRasterizer,
    private readonly maxBytes = MAX_TILE_BYTES,
  ) {}

  tile(text: string, font: string, sizePx: number): Tile {
    const key = `${font}\u0000${sizePx}\u0000${text}`;
    const hit = this.tiles.get(key);
    if (hit) {
      this.tiles.delete(key); // refresh LRU position
      this.tiles.set(key, hit);
      return hit;
    }
    const t = toTile(this.rasterizer.rasterize(text, font, Math.max(1, sizePx)));
    this.tiles.set(key, t);
    this.bytes += t.levels.length + 64;
    for (const [k, v] of this.tiles) {
      if (this.bytes <= this.maxBytes) break;
      this.tiles.delete(k);
      this.bytes -= v.levels.length + 64;
    }
    return t;
  }
}
