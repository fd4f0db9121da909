/**
 * Countdown GIF: frame 1 is complete (Outlook for Windows shows only frame 1),
 * every later frame is the smallest rectangle covering the cells that changed,
 * drawn over the previous one ("do not dispose"), 1 s apart, looping forever.
 */

import { type RgbaImage, renderExpired, toRgba } from "./expired.js";
import { concatGif, encodeFrame, type FrameOptions } from "./gif.js";
import type { GlyphRasterizer } from "./glyphs.js";
import type { Rect } from "./layout.js";
import type { CountdownOptions } from "./options.js";
import { clipRect, extract, type IndexedImage, intersects, union } from "./raster.js";
import {
  digitCounts,
  drawAll,
  drawDigit,
  drawLabel,
  engineFor,
  MAX_BLOCKS,
  type Style,
  styleFor,
  type Values,
  valuesAt,
} from "./style.js";
import { remainingSeconds, resolveDeadline } from "./time.js";

export interface CountdownDeps {
  rasterizer: GlyphRasterizer;
  /** Expired-state images by file name, decoded ahead of time (rendering is synchronous). */
  images?: { get(name: string): RgbaImage | undefined };
}

const DELAY_CS = 100;

/**
 * Pixels one GIF may run through LZW (~2 ns each with lzw.ts, ~40 in omggif). Typical styles
 * use < 0.5 M; the cap only bites on huge retina canvases whose digits fill
 * the frame, or transparent backgrounds that force whole frames, where it ends
 * the animation early (fewer frames, still correct, still looping) instead
 * of letting one request cost seconds of CPU.
 */
export const MAX_ENCODED_PIXELS = 16_000_000;

/** The dynamic elements (digit slots, labels) whose value differs between two frames. */
function changedRect(style: Style, a: Values, b: Values): Rect | null {
  let r: Rect | null = null;
  style.layout.cells.forEach((c, i) => {
    const da = a.digits[i] as string;
    const db = b.digits[i] as string;
    for (let k = 0; k < db.length; k++) if (da[k] !== db[k]) r = union(r, c.slots[k] as Rect);
    if (c.label && a.labels[i] !== b.labels[i]) r = union(r, c.label.rect);
  });
  return r ? clipRect(r, style.width, style.height) : null;
}

/** Redraws every element touching `r` and returns a key naming exactly what `r` now shows. */
function redraw(img: IndexedImage, style: Style, v: Values, r: Rect): string {
  let key = `${r.x},${r.y},${r.w},${r.h}`;
  style.layout.cells.forEach((c, i) => {
    const d = v.digits[i] as string;
    for (let k = 0; k < d.length; k++) {
      if (intersects(r, c.slots[k] as Rect)) {
        drawDigit(img, style, i, k, d[k] as string);
        key += `|${i}.${k}=${d[k]}`;
      }
    }
    if (c.label && intersects(r, c.label.rect)) {
      drawLabel(img, style, i, v.labels[i] as string);
      key += `|${i}.l=${v.labels[i]}`;
    }
  });
  return key;
}

function encode(style: Style, r: Rect, img: IndexedImage, disposal: 1 | 2): Uint8Array {
  const o: FrameOptions = { disposal, transparent: style.palette.transparentIndex, delay: DELAY_CS };
  return encodeFrame(
    style.width,
    style.height,
    style.palette.colors,
    style.header.length,
    r,
    extract(img, r),
    o,
  );
}

/** Opaque background: every later frame is just the changed rectangle, drawn over the last one. */
function animateOpaque(style: Style, o: CountdownOptions, first: number): Uint8Array {
  let prev = valuesAt(style, o, first);
  const img = drawAll(style, prev);
  const blocks = [encode(style, { x: 0, y: 0, w: style.width, h: style.height }, img, 1)];
  let budget = MAX_ENCODED_PIXELS - style.width * style.height;
  for (let k = 1; k < o.frames; k++) {
    const v = valuesAt(style, o, Math.max(0, first - k));
    const r = changedRect(style, prev, v) ?? NOOP;
    budget -= r.w * r.h;
    if (budget < 0) break;
    // Blocks depend only on the style and what the rectangle shows, so most are reused across renders.
    const key = r === NOOP ? `noop=${img.px[0]}` : redraw(img, style, v, r);
    blocks.push(style.blocks.get(key) ?? remember(style, key, encode(style, r, img, 1)));
    prev = v;
  }
  return concatGif(style.header, blocks);
}

/**
 * Transparent background: in a sub-rectangle a transparent pixel means "keep
 * what is there", so ink cannot be turned back into background that way.
 * When a frame needs that, the frame before it is emitted with "restore to
 * background" disposal and enlarged to cover the pixels to clear, and this
 * frame redraws that whole area. Digits on opaque boxes never need it; digits
 * straight on a transparent background need it every second (whole frames).
 */
function animateTransparent(style: Style, o: CountdownOptions, first: number): Uint8Array {
  const t = style.palette.transparentIndex as number;
  let prev = valuesAt(style, o, first);
  const img = drawAll(style, prev);
  const blocks: Uint8Array[] = [];
  let pend = {
    rect: { x: 0, y: 0, w: style.width, h: style.height },
    disposal: 1 as 1 | 2,
    px: img.px.slice(),
    key: "",
  };
  const flush = () => {
    const snap = { width: style.width, height: style.height, px: pend.px };
    const cached = pend.key && pend.disposal === 1 ? style.blocks.get(pend.key) : undefined;
    const b = cached ?? encode(style, pend.rect, snap, pend.disposal);
    if (!cached && pend.key && pend.disposal === 1) remember(style, pend.key, b);
    blocks.push(b);
  };
  let budget = MAX_ENCODED_PIXELS - style.width * style.height;
  for (let k = 1; k < o.frames; k++) {
    const v = valuesAt(style, o, Math.max(0, first - k));
    let r = changedRect(style, prev, v) ?? NOOP;
    if (budget - union(pend.rect, r).w * union(pend.rect, r).h < 0) break;
    let key = `noop=${img.px[0]}`;
    if (r !== NOOP) {
      const before = extract(img, r);
      key = redraw(img, style, v, r);
      if (needsClearing(before, extract(img, r), t)) {
        pend.rect = union(pend.rect, r);
        pend.disposal = 2;
        r = pend.rect;
        key = `${key}|grown=${r.x},${r.y},${r.w},${r.h}`;
      }
    }
    budget -= r.w * r.h;
    flush();
    pend = { rect: r, disposal: 1, px: img.px.slice(), key };
    prev = v;
  }
  flush();
  return concatGif(style.header, blocks);
}

function needsClearing(before: Uint8Array, after: Uint8Array, t: number): boolean {
  for (let i = 0; i < after.length; i++) if (after[i] === t && before[i] !== t) return true;
  return false;
}

/** Nothing changed (the timer sits at zero): a 1×1 frame repainting pixel (0,0) keeps frame count and timing. */
const NOOP: Rect = { x: 0, y: 0, w: 1, h: 1 };

function remember(style: Style, key: string, b: Uint8Array): Uint8Array {
  if (style.blocks.size >= MAX_BLOCKS) style.blocks.delete(style.blocks.keys().next().value as string);
  style.blocks.set(key, b);
  return b;
}

/** The GIF shown at `nowMs`. Same options and same whole second left → identical bytes. */
export function renderCountdownGif(opts: CountdownOptions, nowMs: number, deps: CountdownDeps): Uint8Array {
  const engine = engineFor(deps.rasterizer);
  const deadline = resolveDeadline(opts);
  if (deadline <= nowMs) {
    const expired = renderExpired(opts, engine, deps.images);
    if (expired) return expired.gif();
  }
  const first = remainingSeconds(deadline, nowMs);
  // Once expired (no text/image chosen) or at zero, a single frame of zeros says it all.
  const o = deadline <= nowMs ? { ...opts, frames: 1 } : opts;
  const style = styleFor(engine, o, digitCounts(o, first));
  return style.palette.transparentIndex === null
    ? animateOpaque(style, o, first)
    : animateTransparent(style, o, first);
}

/** Frame 1 as RGBA (for PNG/JPEG/WebP stills); transparent background → alpha 0. */
export function renderCountdownFrameRgba(
  opts: CountdownOptions,
  nowMs: number,
  deps: CountdownDeps,
): RgbaImage {
  const engine = engineFor(deps.rasterizer);
  const deadline = resolveDeadline(opts);
  if (deadline <= nowMs) {
    const expired = renderExpired(opts, engine, deps.images);
    if (expired) return toRgba(expired.image, expired.colors, expired.transparentIndex);
  }
  const first = remainingSeconds(deadline, nowMs);
  const style = styleFor(engine, opts, digitCounts(opts, first));
  const img = drawAll(style, valuesAt(style, opts, first));
  return toRgba(img, style.palette.colors, style.palette.transparentIndex);
}
