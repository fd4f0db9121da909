/**
 * The frames of a countdown GIF after frame 1: each is the smallest rectangle covering the
 * cells that changed, drawn over the previous one, 1 s apart. Encoded blocks depend only on
 * the style and what their rectangle shows, so most are reused across renders.
 */
import type { ExpiredStill } from "./expired.js";
import { encodeFrame, type FrameOptions } from "./gif.js";
import type { Rect } from "./layout.js";
import { clipRect, extract, type IndexedImage, intersects, union } from "./raster.js";
import { drawAll, drawDigit, drawLabel, MAX_BLOCKS, type Style, type Values } from "./style.js";

export const DELAY_CS = 100;
/**
 * How long a clearing frame (below) stays: taken from the frame before it, so each second
 * still lasts 100 cs. Browsers show a delay of 0 or 1 as 10 cs anyway.
 */
const CLEAR_CS = 10;

/**
 * Pixels one GIF may run through LZW (~2 ns each with lzw.ts). A render that would pass it
 * ends the animation early (fewer frames, still correct) instead of letting one request cost
 * seconds of CPU; a save refuses options that would (see countdownSaveIssues).
 */
export const MAX_ENCODED_PIXELS = 16_000_000;

/** What the animation shows, second by second, and how it ends. */
export interface Timeline {
  /** Seconds left at frame 1. */
  first: number;
  /** Countdown frames (first, first - 1, …). */
  ticks: number;
  valuesAt(second: number): Values;
  /** Shown after zero, when the deadline passes within the animation and there is room. */
  expired: ExpiredStill | null;
}

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

/** A key naming exactly what `r` shows for values `v` (frame blocks are cached by it). */
function contentKey(style: Style, v: Values, r: Rect): string {
  let key = `${r.x},${r.y},${r.w},${r.h}`;
  style.layout.cells.forEach((c, i) => {
    const d = v.digits[i] as string;
    for (let k = 0; k < d.length; k++) if (intersects(r, c.slots[k] as Rect)) key += `|${i}.${k}=${d[k]}`;
    if (c.label && intersects(r, c.label.rect)) key += `|${i}.l=${v.labels[i]}`;
  });
  return key;
}

/** Redraws every element touching `r`. */
function redraw(img: IndexedImage, style: Style, v: Values, r: Rect): void {
  style.layout.cells.forEach((c, i) => {
    const d = v.digits[i] as string;
    for (let k = 0; k < d.length; k++)
      if (intersects(r, c.slots[k] as Rect)) drawDigit(img, style, i, k, d[k] as string);
    if (c.label && intersects(r, c.label.rect)) drawLabel(img, style, i, v.labels[i] as string);
  });
}

/** One frame waiting to be encoded: its disposal and delay are settled by the frame after it. */
interface Pending {
  rect: Rect;
  px: Uint8Array;
  disposal: 1 | 2;
  delay: number;
  /** What it shows (see contentKey); "" for a frame that is never reused (frame 1). */
  key: string;
  /** Already encoded (a block the style had cached): `px` is then empty. */
  bytes?: Uint8Array;
}

function remember(style: Style, key: string, b: Uint8Array): Uint8Array {
  if (style.blocks.size >= MAX_BLOCKS) style.blocks.delete(style.blocks.keys().next().value as string);
  style.blocks.set(key, b);
  return b;
}

function encode(style: Style, f: Pending): Uint8Array {
  if (f.bytes) return f.bytes;
  const key = f.key && `${f.disposal}/${f.delay}|${f.key}`;
  const hit = key ? style.blocks.get(key) : undefined;
  if (hit) return hit;
  const o: FrameOptions = {
    disposal: f.disposal,
    transparent: style.palette.transparentIndex,
    delay: f.delay,
  };
  const b = encodeFrame(
    style.width,
    style.height,
    style.palette.colors,
    style.header.length,
    f.rect,
    f.px,
    o,
  );
  return key ? remember(style, key, b) : b;
}

/** The expired state as a whole frame with its own palette (it has its own colours). */
function expiredFrame(e: ExpiredStill): Uint8Array {
  const { width: w, height: h } = e.image;
  const o: FrameOptions = { disposal: 1, transparent: e.transparentIndex, delay: DELAY_CS, local: true };
  return encodeFrame(w, h, e.colors, 0, { x: 0, y: 0, w, h }, e.image.px, o);
}

const EMPTY = new Uint8Array(0);

const sameRect = (a: Rect, b: Rect) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

/**
 * The frame blocks of one GIF. With an opaque background each later frame just paints its
 * changed rectangle. With a transparent one, a transparent pixel in a frame means "keep
 * what is there", so ink can only be turned back into background by disposing a frame
 * that covers it ("restore to background"). When a second's rectangle is exactly the
 * previous frame's (the seconds digit, most seconds) that frame is disposed. Otherwise a
 * clearing frame is put in between: the rectangle as it already is (nothing changes on
 * screen), disposed, for its last CLEAR_CS of the second. Disposing the previous frame
 * instead would clear all of it, so every later frame would have to redraw that much (a
 * whole canvas after frame 1): that made transparent timers without boxes many times the
 * size of opaque ones, and cut big ones short at the work bound.
 */
export function animate(style: Style, t: Timeline): Uint8Array[] {
  const full: Rect = { x: 0, y: 0, w: style.width, h: style.height };
  const transparent = style.palette.transparentIndex;
  let prev = t.valuesAt(t.first);
  const img = drawAll(style, prev);
  const blocks: Uint8Array[] = [];
  let budget = MAX_ENCODED_PIXELS;
  let pend: Pending = { rect: full, px: img.px.slice(), disposal: 1, delay: DELAY_CS, key: "" };
  const emit = (f: Pending) => {
    budget -= f.rect.w * f.rect.h;
    blocks.push(encode(style, f));
  };
  let cut = false;
  for (let k = 1; k < t.ticks; k++) {
    const v = t.valuesAt(t.first - k);
    const r = changedRect(style, prev, v) ?? NOOP;
    const before = transparent === null ? null : extract(img, r);
    redraw(img, style, v, r);
    const key = contentKey(style, v, r);
    // Opaque frames are always drawn over and kept: a cached block needs no pixels copied.
    const bytes = before ? undefined : style.blocks.get(`1/${DELAY_CS}|${key}`);
    const after = bytes ? EMPTY : extract(img, r);
    const next: Pending = { rect: r, px: after, disposal: 1, delay: DELAY_CS, key, bytes };
    let clear: Pending | null = null;
    let dispose = false;
    if (before && needsClearing(before, after, transparent as number)) {
      if (sameRect(pend.rect, r)) dispose = true;
      // The clearing frame shows what `r` shows now; its key is that content's.
      else clear = { rect: r, px: before, disposal: 2, delay: CLEAR_CS, key: contentKey(style, prev, r) };
    }
    const cost = pend.rect.w * pend.rect.h + (clear ? r.w * r.h : 0) + r.w * r.h;
    if (budget - cost < 0) {
      cut = true;
      break;
    }
    if (dispose) pend.disposal = 2;
    if (clear) {
      pend.delay = DELAY_CS - CLEAR_CS;
      emit(pend);
      pend = clear;
    }
    emit(pend);
    pend = next;
    prev = v;
  }
  const expired = cut ? null : t.expired;
  if (expired && transparent !== null) {
    // The expired still is drawn on a clear canvas: the last frame is disposed whole.
    pend = { rect: full, px: img.px.slice(), disposal: 2, delay: DELAY_CS, key: "" };
  }
  emit(pend);
  if (expired) blocks.push(expiredFrame(expired));
  return blocks;
}

/**
 * An upper bound of the pixels animate() encodes for `t`, without drawing: frame 1 whole,
 * then each changed rectangle, twice on a transparent background whenever it differs from
 * the one before (a clearing frame). Checked at save, so a block's busiest minute fits.
 */
export function encodedPixelsBound(style: Style, t: Timeline): number {
  let n = style.width * style.height;
  let prev = t.valuesAt(t.first);
  let last: Rect | null = null;
  for (let k = 1; k < t.ticks; k++) {
    const v = t.valuesAt(t.first - k);
    const r = changedRect(style, prev, v) ?? NOOP;
    n += r.w * r.h;
    if (style.palette.transparentIndex !== null && !(last && sameRect(last, r))) n += r.w * r.h;
    last = r;
    prev = v;
  }
  return n + (t.expired && style.palette.transparentIndex !== null ? style.width * style.height : 0);
}

function needsClearing(before: Uint8Array, after: Uint8Array, t: number): boolean {
  for (let i = 0; i < after.length; i++) if (after[i] === t && before[i] !== t) return true;
  return false;
}

/** Nothing changed (a timer that stays at zero): a 1×1 frame repainting pixel (0,0) keeps frame count and timing. */
const NOOP: Rect = { x: 0, y: 0, w: 1, h: 1 };
