/** Shared test tooling: decode GIFs the way a client shows them, and read digits back from pixels. */
import { GifReader } from "omggif";
import { type CountdownOptions, countdownOptionsSchema } from "../../src/core/countdown/index.js";
import { LEVELS, parseColour } from "../../src/core/countdown/palette.js";
import { digitCounts, engineFor, type Style, styleFor } from "../../src/core/countdown/style.js";
import { remainingSeconds, resolveDeadline } from "../../src/core/countdown/time.js";
import { createResvgRasterizer, loadExpiredImages } from "../../src/node/countdown/index.js";

/**
 * The faintest coverage a glyph tile keeps: alpha that quantizes to level 1 or more (the
 * renderer's ink box, hence its centring, is measured on quantized levels).
 */
const INK_ALPHA = Math.ceil(128 / (LEVELS - 1));

export const rasterizer = createResvgRasterizer();
export const images = await loadExpiredImages();
export const deps = { rasterizer, images };

export const opts = (input: Record<string, unknown>): CountdownOptions => countdownOptionsSchema.parse(input);

export interface DecodedFrame {
  x: number;
  y: number;
  width: number;
  height: number;
  delay: number;
  disposal: number;
  /** The whole canvas as shown while this frame is on screen (RGBA). */
  canvas: Uint8Array;
}

export interface DecodedGif {
  width: number;
  height: number;
  loop: number | null;
  frames: DecodedFrame[];
}

/** Composes frames honouring offsets, transparency and disposal, like a browser. */
export function decodeGif(bytes: Uint8Array): DecodedGif {
  const r = new GifReader(bytes);
  const { width, height } = r;
  let canvas = new Uint8Array(width * height * 4);
  const frames: DecodedFrame[] = [];
  for (let i = 0; i < r.numFrames(); i++) {
    const info = r.frameInfo(i);
    const before = canvas.slice();
    r.decodeAndBlitFrameRGBA(i, canvas);
    frames.push({
      x: info.x,
      y: info.y,
      width: info.width,
      height: info.height,
      delay: info.delay,
      disposal: info.disposal,
      canvas: canvas.slice(),
    });
    if (info.disposal === 2) {
      for (let y = info.y; y < info.y + info.height; y++)
        canvas.fill(0, (y * width + info.x) * 4, (y * width + info.x + info.width) * 4);
    } else if (info.disposal === 3) {
      canvas = before;
    }
  }
  let loop: number | null = null;
  try {
    loop = r.loopCount();
  } catch {
    loop = null;
  }
  return { width, height, loop, frames };
}

/**
 * What is on screen during each whole second of the animation, by the frames' delays (a
 * clearing frame of a transparent timer shares its second with the frame before it).
 */
export function secondsShown(g: DecodedGif): Uint8Array[] {
  const out: Uint8Array[] = [];
  let t = 0;
  g.frames.forEach((f, i) => {
    const end = i === g.frames.length - 1 ? Math.max(t + f.delay, (out.length + 1) * 100) : t + f.delay;
    // A frame shows second k when it is on screen at k s + 50 cs.
    while (out.length * 100 + 50 >= t && out.length * 100 + 50 < end) out.push(f.canvas);
    t = end;
  });
  return out;
}

export function styleOf(o: CountdownOptions, nowMs: number): Style {
  const first = remainingSeconds(resolveDeadline(o), nowMs);
  return styleFor(engineFor(rasterizer), o, digitCounts(o, first));
}

const rgbOf = (c: string) => {
  const p = parseColour(c);
  return p === "transparent" ? { r: 255, g: 255, b: 255 } : p.rgb;
};

/**
 * Reference render of one digit: rasterized directly (no tile cache, no
 * quantization) and blended over the ground in full precision.
 */
function referenceDigit(
  style: Style,
  d: number,
  slot: { w: number; h: number },
  baselineInSlot: number,
  ink: string,
  ground: string,
) {
  const m = rasterizer.rasterize(String(d), style.font, style.layout.digitSize);
  // ink bounds of the mask
  let x0 = m.width;
  let x1 = -1;
  for (let y = 0; y < m.height; y++)
    for (let x = 0; x < m.width; x++)
      if ((m.alpha[y * m.width + x] as number) >= INK_ALPHA) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
      }
  const w = x1 - x0 + 1;
  const ox = Math.floor((slot.w - w) / 2) - x0;
  const oy = baselineInSlot - m.baseline;
  const a = rgbOf(ink);
  const g = rgbOf(ground);
  const out = new Float32Array(slot.w * slot.h * 3);
  for (let y = 0; y < slot.h; y++)
    for (let x = 0; x < slot.w; x++) {
      const mx = x - ox;
      const my = y - oy;
      const al =
        mx >= 0 && my >= 0 && mx < m.width && my < m.height
          ? (m.alpha[my * m.width + mx] as number) / 255
          : 0;
      const i = (y * slot.w + x) * 3;
      out[i] = g.r + (a.r - g.r) * al;
      out[i + 1] = g.g + (a.g - g.g) * al;
      out[i + 2] = g.b + (a.b - g.b) * al;
    }
  return out;
}

/** Reads the digits of every cell from a composed canvas by nearest reference glyph. */
export function readDigits(style: Style, o: CountdownOptions, canvas: Uint8Array): string[] {
  const refs = new Map<string, Float32Array[]>();
  return style.layout.cells.map((c) =>
    c.slots
      .map((s) => {
        const ground = c.box ? o.boxColor : o.background;
        const key = `${s.w}x${s.h}:${c.digitBaseline - s.y}:${ground}`;
        let cands = refs.get(key);
        if (!cands) {
          cands = [...Array(10).keys()].map((d) =>
            referenceDigit(style, d, s, c.digitBaseline - s.y, o.digitColor, ground),
          );
          refs.set(key, cands);
        }
        let best = -1;
        let bestErr = Number.POSITIVE_INFINITY;
        cands.forEach((ref, d) => {
          let err = 0;
          for (let y = 0; y < s.h; y++)
            for (let x = 0; x < s.w; x++) {
              const p = ((s.y + y) * style.width + s.x + x) * 4;
              const i = (y * s.w + x) * 3;
              for (let k = 0; k < 3; k++) err += Math.abs((canvas[p + k] as number) - (ref[i + k] as number));
            }
          if (err < bestErr) {
            bestErr = err;
            best = d;
          }
        });
        // Quantized anti-aliasing differs from the reference by < 1/15 of the ink contrast per pixel.
        const perPixel = bestErr / (s.w * s.h * 3);
        if (perPixel > 12)
          throw new Error(`no digit matches slot at ${s.x},${s.y} (mean error ${perPixel.toFixed(1)})`);
        return String(best);
      })
      .join(""),
  );
}

export const pad2 = (n: number) => String(n).padStart(2, "0");

/** Which of `candidates` the label of `cell` shows, by nearest direct rasterization of each. */
export function readLabel(
  style: Style,
  o: CountdownOptions,
  canvas: Uint8Array,
  cell: number,
  candidates: string[],
): string {
  const l = style.layout.cells[cell]?.label;
  if (!l) throw new Error("no label");
  const ink = rgbOf(o.labelColor);
  const g = rgbOf(o.background);
  let best = "";
  let bestErr = Number.POSITIVE_INFINITY;
  for (const text of candidates) {
    const m = rasterizer.rasterize(text, style.font, style.layout.labelSize);
    let x0 = m.width;
    let x1 = -1;
    for (let y = 0; y < m.height; y++)
      for (let x = 0; x < m.width; x++)
        if ((m.alpha[y * m.width + x] as number) >= INK_ALPHA) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
        }
    const w = x1 - x0 + 1;
    const ox = (l.align === "center" ? l.rect.x + Math.floor((l.rect.w - w) / 2) : l.rect.x) - x0;
    const oy = l.baseline - m.baseline;
    let err = 0;
    for (let y = l.rect.y; y < l.rect.y + l.rect.h; y++)
      for (let x = l.rect.x; x < l.rect.x + l.rect.w; x++) {
        const mx = x - ox;
        const my = y - oy;
        const al =
          mx >= 0 && my >= 0 && mx < m.width && my < m.height
            ? (m.alpha[my * m.width + mx] as number) / 255
            : 0;
        const p = (y * style.width + x) * 4;
        err += Math.abs((canvas[p] as number) - (g.r + (ink.r - g.r) * al));
        err += Math.abs((canvas[p + 1] as number) - (g.g + (ink.g - g.g) * al));
        err += Math.abs((canvas[p + 2] as number) - (g.b + (ink.b - g.b) * al));
      }
    if (err < bestErr) {
      bestErr = err;
      best = text;
    }
  }
  return best;
}
