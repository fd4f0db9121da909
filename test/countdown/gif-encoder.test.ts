/**
 * The hand-written GIF writer and LZW encoder, checked against independent
 * decoders: omggif's GifReader, sharp (libvips/libnsgif), and a strict LZW
 * reader below that fails on any code-width slip lenient decoders forgive.
 */
import { GifReader, GifWriter } from "omggif";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { concatGif, encodeFrame, type FrameOptions, gifHeader } from "../../src/core/countdown/gif.js";
import type { Rect } from "../../src/core/countdown/layout.js";
import { lzwCompress } from "../../src/core/countdown/lzw.js";

interface TestFrame {
  r: Rect;
  px: Uint8Array;
  o: FrameOptions;
}

/** Grey ramp: index i is (i, i, i), so a decoded colour names its index. */
const greys = (n: number) => Array.from({ length: n }, (_, i) => i * 0x010101);

let seed = 12345;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const noise = (n: number, colours: number) => Uint8Array.from({ length: n }, () => rand(colours));
/** Runs of random length (1..maxRun) and colour: solid areas with edges. */
function runs(n: number, colours: number, maxRun: number): Uint8Array {
  const px = new Uint8Array(n);
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 1 + rand(maxRun));
    px.fill(rand(colours), i, end);
    i = end;
  }
  return px;
}

const opaque: FrameOptions = { disposal: 1, transparent: null, delay: 100 };
const full = (w: number, h: number): Rect => ({ x: 0, y: 0, w, h });

function gif(width: number, height: number, palette: number[], frames: TestFrame[]): Uint8Array {
  const header = gifHeader(width, height, palette);
  return concatGif(
    header,
    frames.map((f) => encodeFrame(width, height, palette, header.length, f.r, f.px, f.o)),
  );
}

/** Reads one frame's LZW data exactly as the spec says; throws on anything off. */
function strictDecode(bytes: Uint8Array, offset: number): number[] {
  const m = bytes[offset] as number;
  const data: number[] = [];
  let p = offset + 1;
  for (let len = bytes[p++] as number; len !== 0; len = bytes[p++] as number) {
    for (let k = 0; k < len; k++) data.push(bytes[p++] as number);
  }
  const clear = 1 << m;
  const eoi = clear + 1;
  const prefix: number[] = [];
  const suffix: number[] = [];
  const expand = (c: number): number[] => {
    const s: number[] = [];
    for (let x = c; x >= 0; x = prefix[x] as number) s.push(x < clear ? x : (suffix[x] as number));
    return s.reverse();
  };
  const out: number[] = [];
  let size = m + 1;
  let next = eoi + 1;
  let prev = -1;
  let pos = 0;
  for (;;) {
    if (pos + size > data.length * 8) throw new Error(`code at bit ${pos} runs past the data`);
    let code = 0;
    for (let b = 0; b < size; b++, pos++) code |= (((data[pos >> 3] as number) >> (pos & 7)) & 1) << b;
    if (code === clear) {
      [size, next, prev] = [m + 1, eoi + 1, -1];
      continue;
    }
    if (code === eoi) break;
    if (
      code > next ||
      (code === next && prev < 0) ||
      (code > eoi && code < next && prefix[code] === undefined)
    )
      throw new Error(`bad code ${code} (next ${next})`);
    const known = code < next;
    const s = known ? expand(code) : [...expand(prev), expand(prev)[0] as number];
    if (prev >= 0 && next < 4096) {
      prefix[next] = prev;
      suffix[next] = s[0] as number;
      next++;
      if (next === 1 << size && size < 12) size++;
    }
    out.push(...s);
    prev = code;
  }
  if (data.length - Math.ceil(pos / 8) !== 0) throw new Error("bytes left after the end code");
  if (pos % 8 && (data[data.length - 1] as number) >> (pos % 8)) throw new Error("non-zero padding");
  return out;
}

/** Decodes with omggif (and the strict reader) and checks every frame's fields and indices. */
function expectOmggif(bytes: Uint8Array, width: number, height: number, frames: TestFrame[]): void {
  const g = new GifReader(bytes);
  expect([g.width, g.height, g.numFrames(), g.loopCount()]).toEqual([width, height, frames.length, 0]);
  frames.forEach((f, i) => {
    const info = g.frameInfo(i);
    expect([info.x, info.y, info.width, info.height]).toEqual([f.r.x, f.r.y, f.r.w, f.r.h]);
    expect([info.delay, info.disposal, info.transparent_index]).toEqual([
      f.o.delay,
      f.o.disposal,
      f.o.transparent,
    ]);
    expect(info.has_local_palette || info.interlaced).toBe(false);
    // Strict reader first: omggif can loop forever on a corrupt stream.
    const strict = strictDecode(bytes, info.data_offset);
    expect(strict.length).toBe(f.px.length);
    expect(Buffer.from(strict).equals(Buffer.from(f.px)), `strict frame ${i}`).toBe(true);
    const canvas = new Uint8Array(width * height * 4).fill(7); // 7: "not painted"
    g.decodeAndBlitFrameRGBA(i, canvas);
    const got = new Uint8Array(f.px.length);
    for (let y = 0; y < f.r.h; y++)
      for (let x = 0; x < f.r.w; x++) {
        const o = ((f.r.y + y) * width + f.r.x + x) * 4;
        got[y * f.r.w + x] = canvas[o + 3] === 7 ? (f.o.transparent ?? 255) : (canvas[o] as number);
      }
    expect(Buffer.from(got).equals(Buffer.from(f.px)), `omggif frame ${i}`).toBe(true);
  });
}

/** A single full frame through sharp: page count, loop, delay and every pixel. */
async function expectSharpStill(bytes: Uint8Array, width: number, height: number, px: Uint8Array) {
  const meta = await sharp(bytes, { animated: true }).metadata();
  expect([meta.width, meta.pageHeight ?? meta.height, meta.pages, meta.loop]).toEqual([width, height, 1, 0]);
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const got = new Uint8Array(width * height);
  for (let i = 0; i < got.length; i++) got[i] = data[i * info.channels] as number;
  expect(Buffer.from(got).equals(Buffer.from(px))).toBe(true);
}

async function roundTrip(width: number, height: number, colours: number, px: Uint8Array) {
  const frames = [{ r: full(width, height), px, o: opaque }];
  const bytes = gif(width, height, greys(colours), frames);
  expectOmggif(bytes, width, height, frames);
  await expectSharpStill(bytes, width, height, px);
  return bytes;
}

describe("GIF encoder", () => {
  it("random noise (worst case: many table resets) for 4, 64 and 256 colours", async () => {
    for (const colours of [4, 64, 256]) await roundTrip(300, 200, colours, noise(60_000, colours));
  });

  it("solid areas and runs of every length, including a table reset in the middle of a run", async () => {
    await roundTrip(600, 120, 64, runs(72_000, 64, 600));
    await roundTrip(500, 200, 16, runs(100_000, 3, 40));
    // Noise fills most of the table, then long runs: resets land inside runs as well as in noise.
    const mixed = new Uint8Array(400_000);
    for (let at = 0; at < mixed.length; at += 40_000) {
      mixed.set(noise(3_000, 256), at);
      mixed.fill(rand(256), at + 3_000, at + 40_000);
    }
    await roundTrip(800, 500, 256, mixed);
    const solid = await roundTrip(1000, 1000, 4, new Uint8Array(1_000_000).fill(3));
    expect(solid.length).toBeLessThan(2_500);
  });

  it("1-colour, 2-colour and 256-colour palettes", async () => {
    await roundTrip(40, 30, 2, new Uint8Array(1200));
    await roundTrip(40, 30, 2, noise(1200, 2));
    await roundTrip(
      64,
      64,
      256,
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) & 255),
    );
  });

  it("odd sizes: 1×1, 1×1000, 1000×1", async () => {
    await roundTrip(1, 1, 2, new Uint8Array([1]));
    await roundTrip(1, 1000, 8, noise(1000, 8));
    await roundTrip(1000, 1, 8, runs(1000, 8, 30));
  });

  it("writes the end code at the width the decoder expects after the last entry", () => {
    // 11 codes fill the table up to 15; the decoder adds 15 on reading the last one and widens
    // to 5 bits before the end code. omggif writes it in 4 bits, ending the stream a bit short.
    const px = new Uint8Array([0, 1, 0, 2, 0, 3, 2, 3, 3, 1, 3]);
    expect([...lzwCompress(px, 2)]).toEqual([68, 32, 48, 50, 19, 83, 0]);
    roundTripStrict(px, 4);
    for (let n = 1; n <= 64; n++) roundTripStrict(noise(n, 4), 4);
  });

  it("sub-rectangle frames with offsets, transparency, delays and disposal", async () => {
    const [W, H] = [50, 40];
    const t = 5;
    const withHoles = (n: number) => runs(n, 16, 6).map((v, i) => (i % 7 === 0 ? t : v === t ? 1 : v));
    const frames: TestFrame[] = [
      { r: full(W, H), px: runs(W * H, 16, 50), o: { disposal: 1, transparent: null, delay: 100 } },
      { r: { x: 10, y: 5, w: 13, h: 7 }, px: withHoles(91), o: { disposal: 1, transparent: t, delay: 50 } },
      {
        r: { x: 37, y: 29, w: 13, h: 11 },
        px: noise(143, 16),
        o: { disposal: 2, transparent: null, delay: 2 },
      },
      {
        r: { x: 0, y: 39, w: 1, h: 1 },
        px: new Uint8Array([9]),
        o: { disposal: 2, transparent: t, delay: 0 },
      },
      {
        r: { x: 20, y: 0, w: 30, h: 40 },
        px: withHoles(1200),
        o: { disposal: 1, transparent: t, delay: 300 },
      },
    ];
    const palette = greys(16);
    const bytes = gif(W, H, palette, frames);
    expectOmggif(bytes, W, H, frames);

    const meta = await sharp(bytes, { animated: true }).metadata();
    expect([meta.pages, meta.pageHeight, meta.loop]).toEqual([5, H, 0]);
    expect(meta.delay).toEqual(frames.map((f) => f.o.delay * 10));
    const { data, info } = await sharp(bytes, { animated: true })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (page: number, x: number, y: number) => ((page * H + y) * W + x) * info.channels;
    frames.forEach((f, i) => {
      for (let y = 0; y < f.r.h; y++)
        for (let x = 0; x < f.r.w; x++) {
          const [px, py] = [f.r.x + x, f.r.y + y];
          const v = f.px[y * f.r.w + x] as number;
          const o = at(i, px, py);
          const got = [data[o], data[o + 3]];
          if (v !== f.o.transparent) expect(got, `page ${i} (${px},${py})`).toEqual([v, 255]);
          else if (frames[i - 1]?.o.disposal === 1) {
            // A transparent pixel keeps what the previous (not disposed) frame left there.
            expect(got).toEqual([data[at(i - 1, px, py)], data[at(i - 1, px, py) + 3]]);
          }
        }
      if (f.o.disposal === 2 && frames[i + 1]) {
        // Restored to background (libnsgif: transparent, or colour 0 when the frame has no
        // transparency): none of this frame's ink is left where the next frame does not paint.
        const n = frames[i + 1]?.r as Rect;
        for (let y = f.r.y; y < f.r.y + f.r.h; y++)
          for (let x = f.r.x; x < f.r.x + f.r.w; x++) {
            if (x >= n.x && x < n.x + n.w && y >= n.y && y < n.y + n.h) continue;
            const o = at(i + 1, x, y);
            expect(data[o + 3] === 0 || data[o] === 0, `page ${i + 1} (${x},${y}) cleared`).toBe(true);
          }
      }
    });
  });

  it("is byte-deterministic and independent of earlier calls", () => {
    const px = runs(20_000, 64, 300);
    const once = gif(200, 100, greys(64), [{ r: full(200, 100), px, o: opaque }]);
    for (const colours of [2, 256, 16])
      gif(100, 100, greys(colours), [{ r: full(100, 100), px: noise(10_000, colours), o: opaque }]);
    const again = gif(200, 100, greys(64), [{ r: full(200, 100), px, o: opaque }]);
    expect(Buffer.from(again).equals(Buffer.from(once))).toBe(true);
  });

  it("writes the same header as omggif (GIF89a, global palette, NETSCAPE2.0 loop forever)", () => {
    const palette = greys(32).map((c, i) => c ^ (i << 16));
    const buf = new Uint8Array(1024);
    const end = new GifWriter(buf, 321, 123, { palette, loop: 0 }).end();
    expect(Buffer.from(gifHeader(321, 123, palette)).equals(Buffer.from(buf.subarray(0, end - 1)))).toBe(
      true,
    );
  });

  it("rejects what GIF cannot say", () => {
    const px = new Uint8Array(4);
    expect(() => gifHeader(10, 10, greys(3))).toThrow(/palette/);
    expect(() => gifHeader(0, 10, greys(4))).toThrow(/width/);
    expect(() => encodeFrame(2, 2, greys(4), 0, full(2, 2), px, { ...opaque, transparent: 4 })).toThrow(
      /transparent/,
    );
    expect(() => encodeFrame(2, 2, greys(4), 0, full(3, 2), px, opaque)).toThrow(/pixels/);
    expect(() => encodeFrame(2, 2, greys(4), 0, { x: 0, y: 0, w: 0, h: 2 }, px, opaque)).toThrow(/width/);
  });
});

function roundTripStrict(px: Uint8Array, colours: number): void {
  const frames = [{ r: full(px.length, 1), px, o: opaque }];
  expectOmggif(gif(px.length, 1, greys(colours), frames), px.length, 1, frames);
}
