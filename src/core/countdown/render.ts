/**
 * Countdown GIF: frame 1 is complete (Outlook for Windows shows only frame 1),
 * every later frame is the smallest rectangle covering the cells that changed,
 * drawn over the previous one (animate.ts), 1 s apart, looping forever — unless
 * the deadline passes within the animation: then it counts down to zero, shows
 * the expired state (when the block has one) and stays there, played once.
 */

import { animate, encodedPixelsBound, MAX_ENCODED_PIXELS, type Timeline } from "./animate.js";
import { type ExpiredStill, type RgbaImage, renderExpired, toRgba } from "./expired.js";
import { concatGif, playOnce } from "./gif.js";
import type { GlyphRasterizer } from "./glyphs.js";
import { type CountdownOptions, type CountdownUnit, resolvedUnits } from "./options.js";
import { digitCounts, drawAll, engineFor, type Style, styleFor, valuesAt } from "./style.js";
import { remainingSeconds, resolveDeadline } from "./time.js";

export interface CountdownDeps {
  rasterizer: GlyphRasterizer;
  /** Expired-state images by file name, decoded ahead of time (rendering is synchronous). */
  images?: { get(name: string): RgbaImage | undefined };
}

/** The GIF shown at `nowMs`. Same options and same whole second left → identical bytes. */
export function renderCountdownGif(opts: CountdownOptions, nowMs: number, deps: CountdownDeps): Uint8Array {
  const engine = engineFor(deps.rasterizer);
  const deadline = resolveDeadline(opts);
  const expired = deadline <= nowMs;
  if (expired) {
    const still = renderExpired(opts, engine, deps.images);
    if (still) return still.gif();
  }
  const first = remainingSeconds(deadline, nowMs);
  // Once expired (no text/image chosen), a single frame of zeros says it all.
  const o = expired ? { ...opts, frames: 1 } : opts;
  const style = styleFor(engine, o, digitCounts(o, first));
  const t = timeline(style, o, first, () => renderExpired(o, engine, deps.images));
  return concatGif(t.once && o.frames > 1 ? playOnce(style.header) : style.header, animate(style, t));
}

/**
 * What the animation shows from `first` seconds left: first … 0 when zero comes within
 * the frames, then the expired state if there is room; played once, since looping would
 * go back to a time already past.
 */
function timeline(
  style: Style,
  o: CountdownOptions,
  first: number,
  expired: () => ExpiredStill | null,
): Timeline & { once: boolean } {
  const once = first + 1 <= o.frames;
  return {
    first,
    ticks: Math.min(o.frames, first + 1),
    valuesAt: (second) => valuesAt(style, o, second),
    expired: once && first + 2 <= o.frames ? expired() : null,
    once,
  };
}

const UNIT_SECONDS: Record<CountdownUnit, number> = { days: 86_400, hours: 3_600, minutes: 60, seconds: 1 };

/**
 * Why these options would be cut short at their busiest minute (null when they fit): the
 * largest unit at two digits, the widest they get, turning over halfway through the
 * animation so every cell changes once. A render past MAX_ENCODED_PIXELS ends early and
 * the timer would jump back, so a save refuses such options instead.
 */
export function frameBudgetIssue(o: CountdownOptions, deps: CountdownDeps): string | null {
  const engine = engineFor(deps.rasterizer);
  const largest = resolvedUnits(o.units)[0] as CountdownUnit;
  const first = 10 * UNIT_SECONDS[largest] + Math.floor(o.frames / 2);
  const style = styleFor(engine, o, digitCounts(o, first));
  let end: ExpiredStill | null | undefined;
  const expired = () => {
    if (end === undefined) end = renderExpired(o, engine, deps.images);
    return end;
  };
  const bound = (frames: number) =>
    encodedPixelsBound(style, timeline(style, { ...o, frames }, first, expired));
  if (bound(o.frames) <= MAX_ENCODED_PIXELS) return null;
  let fit = 1;
  while (fit < o.frames && bound(fit + 1) <= MAX_ENCODED_PIXELS) fit++;
  return `${o.frames} frames of a ${style.width}x${style.height} timer are more than one render may encode (${fit} fit): use fewer frames, a smaller size or scale 1, or more units (smaller digits)`;
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
