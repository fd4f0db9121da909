/**
 * Countdown GIF: the naive approach every open-source timer takes (draw each
 * frame on a canvas, quantize each frame with gifencoder) against opentime's
 * engine (glyph tiles + one palette + changed-rectangle frames).
 *
 * "Uncached" means every opentime render is a fresh call with a deadline not
 * seen before (so no result cache can answer) while the style's glyph tiles
 * and pre-encoded cell blocks are warm, as on a running server.
 *
 * The "encoder" entry times LZW + frame assembly alone, in ns per pixel, for
 * opentime's encoder (src/core/countdown/lzw.ts) and omggif's GifWriter on the
 * same index buffers: each case's frame 1 (most of an uncached render's
 * encoding) and 64-colour noise (LZW's worst case).
 *
 *   npx tsx bench/countdown-render.ts
 */
import { pathToFileURL } from "node:url";
import { createCanvas } from "@napi-rs/canvas";
import GIFEncoder from "gifencoder";
import { GifWriter } from "omggif";
import { encodeFrame } from "../src/core/countdown/gif.js";
import type { GlyphRasterizer } from "../src/core/countdown/glyphs.js";
import { countdownOptionsSchema, renderCountdownGif } from "../src/core/countdown/index.js";
import { digitCounts, drawAll, engineFor, styleFor, valuesAt } from "../src/core/countdown/style.js";
import { createResvgRasterizer } from "../src/node/countdown/index.js";

interface Case {
  width: number;
  height: number;
  frames: number;
}

const CASES: Case[] = [
  { width: 600, height: 120, frames: 60 },
  { width: 400, height: 100, frames: 30 },
];

const pad = (n: number) => String(n).padStart(2, "0");

function naiveGif({ width: w, height: h, frames }: Case, startSecond: number): Uint8Array {
  const enc = new GIFEncoder(w, h);
  enc.start();
  enc.setRepeat(0);
  enc.setDelay(1000);
  enc.setQuality(10);
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext("2d");
  for (let i = 0; i < frames; i++) {
    const s = Math.max(0, startSecond - i);
    const text = `${pad(Math.floor(s / 86400))} : ${pad(Math.floor(s / 3600) % 24)} : ${pad(Math.floor(s / 60) % 60)} : ${pad(s % 60)}`;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = "#111111";
    ctx.textAlign = "center";
    ctx.font = `bold ${Math.round(h * 0.45)}px sans-serif`;
    ctx.fillText(text, w / 2, h * 0.55);
    ctx.fillStyle = "#555555";
    ctx.font = `${Math.round(h * 0.14)}px sans-serif`;
    ctx.fillText("days        hours        minutes        seconds", w / 2, h * 0.85);
    enc.addFrame(ctx.getImageData(0, 0, w, h).data as unknown as CanvasRenderingContext2D);
  }
  enc.finish();
  return new Uint8Array(enc.out.getData());
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Runs `fn` until `budgetMs` is spent (at least `min` times) and returns the median ms per call. */
function time(
  fn: (i: number) => Uint8Array,
  budgetMs: number,
  min: number,
): { ms: number; runs: number; bytes: number } {
  const samples: number[] = [];
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; samples.length < min || performance.now() - start < budgetMs; i++) {
    const t = performance.now();
    bytes = fn(i).length;
    samples.push(performance.now() - t);
    if (samples.length >= 20_000) break;
  }
  return { ms: median(samples), runs: samples.length, bytes };
}

const ENCODER =
  "opentime's own GIF89a writer + LZW (src/core/countdown/gif.ts, lzw.ts); omggif only as a reference here";

/** ns per pixel to encode one full frame of `px`, opentime's encoder vs omggif's GifWriter. */
function encoderNsPerPixel(w: number, h: number, palette: number[], px: Uint8Array) {
  const rect = { x: 0, y: 0, w, h };
  const frame = { disposal: 1, transparent: null, delay: 100 } as const;
  const buf = new Uint8Array(palette.length * 3 + w * h * 2 + 1024);
  const omggif = (): Uint8Array => {
    const g = new GifWriter(buf, w, h, { palette, loop: 0 });
    g.addFrame(0, 0, w, h, px as unknown as number[], { delay: 100, disposal: 1 });
    return buf.subarray(0, g.end());
  };
  const ours = () => encodeFrame(w, h, palette, 0, rect, px, frame);
  const ns = (ms: number) => +((ms * 1e6) / (w * h)).toFixed(2);
  const a = time(omggif, 1000, 30);
  const b = time(ours, 1000, 30);
  return { omggifNsPerPixel: ns(a.ms), opentimeNsPerPixel: ns(b.ms), speedup: +(a.ms / b.ms).toFixed(1) };
}

function encoderCases(rasterizer: GlyphRasterizer, now: number, startSecond: number) {
  const out: Record<string, unknown> = {};
  for (const c of CASES) {
    const o = countdownOptionsSchema.parse({
      deadline: new Date(now + startSecond * 1000).toISOString(),
      width: c.width,
      height: c.height,
      frames: c.frames,
    });
    const style = styleFor(engineFor(rasterizer), o, digitCounts(o, startSecond));
    const px = drawAll(style, valuesAt(style, o, startSecond)).px;
    const colours = style.palette.colors.length;
    out[`frame1 ${c.width}x${c.height}, ${colours} colours`] = encoderNsPerPixel(
      c.width,
      c.height,
      style.palette.colors,
      px,
    );
  }
  let seed = 1;
  const noise = Uint8Array.from({ length: 600 * 120 }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) & 63;
  });
  const greys = Array.from({ length: 64 }, (_, i) => i * 0x010101);
  out["noise 600x120, 64 colours"] = encoderNsPerPixel(600, 120, greys, noise);
  return out;
}

export async function benchCountdownRender(): Promise<Record<string, unknown>> {
  const rasterizer = createResvgRasterizer();
  const now = Date.parse("2026-12-20T10:00:00Z");
  const startSecond = 4 * 86400 + 7 * 3600 + 12 * 60 + 34;
  const results: Record<string, unknown> = { encoder: ENCODER };
  for (const c of CASES) {
    const label = `${c.width}x${c.height}x${c.frames}`;
    const naive = time((i) => naiveGif(c, startSecond - i), 2500, 3);
    const opts = (i: number) =>
      countdownOptionsSchema.parse({
        // A different deadline every call: nothing but the style-level tiles can be reused.
        deadline: new Date(now + (startSecond + i * 7919) * 1000).toISOString(),
        width: c.width,
        height: c.height,
        frames: c.frames,
      });
    for (let i = 0; i < 200; i++) renderCountdownGif(opts(i), now, { rasterizer }); // warm the style, as a running server is
    const ours = time((i) => renderCountdownGif(opts(i + 1_000), now, { rasterizer }), 1500, 50);
    results[label] = {
      naiveMsPerGif: +naive.ms.toFixed(2),
      naiveBytes: naive.bytes,
      naiveRuns: naive.runs,
      opentimeMsPerGif: +ours.ms.toFixed(4),
      opentimeBytes: ours.bytes,
      opentimeRuns: ours.runs,
      speedup: Math.round(naive.ms / ours.ms),
      sizeFraction: +(ours.bytes / naive.bytes).toFixed(4),
      meetsTargets: naive.ms / ours.ms >= 1000 && ours.bytes * 10 <= naive.bytes,
    };
  }
  // Transparent backgrounds without boxes, which need clearing frames (see animate.ts).
  for (const layout of ["compact", "inline"] as const) {
    const opts = (i: number) =>
      countdownOptionsSchema.parse({
        deadline: new Date(now + (startSecond + i * 7919) * 1000).toISOString(),
        layout,
        background: "transparent",
      });
    for (let i = 0; i < 200; i++) renderCountdownGif(opts(i), now, { rasterizer });
    const t = time((i) => renderCountdownGif(opts(i + 1_000), now, { rasterizer }), 1500, 50);
    results[`transparent ${layout} 600x120x60`] = {
      opentimeMsPerGif: +t.ms.toFixed(4),
      opentimeBytes: t.bytes,
    };
  }
  results.encoderNsPerPixel = encoderCases(rasterizer, now, startSecond);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(`GIF encoder: ${ENCODER}`);
  console.log(JSON.stringify(await benchCountdownRender(), null, 2));
}
