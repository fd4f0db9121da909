/**
 * GIF LZW compression (variable-length codes, LSB first, 12-bit maximum,
 * clear code when the table fills), with output identical to the textbook
 * greedy encoder, only faster:
 *
 * - The dictionary is a dense table: slot `code << m | pixel` (m = minimum
 *   code size, palettes ≤ 2^m) holds the child's code, pre-shifted by m so the
 *   hot path is one load and a mask. Each slot carries a 12-bit generation
 *   stamp, so starting over (new call, clear code) is a counter bump instead
 *   of wiping up to 4 MB.
 * - Runs: strings of one colour c are c, cc, ccc, …, c^L (a dictionary is
 *   prefix-closed), so `runCode[c][j]` lets a run of c skip straight to the
 *   longest known c^j instead of following the chain pixel by pixel. Solid
 *   backgrounds, most of a countdown frame, then cost about one compare per pixel.
 * - Codes go into a 32-bit accumulator flushed 16 bits at a time into a raw
 *   buffer sized for the worst case up front (no bounds checks in the loop);
 *   sub-block framing happens afterwards in one pass (`writeSubBlocks`).
 * - One function over locals: no per-pixel calls, closures or objects.
 */

const MAX_CODE = 4096;
const STAMP = 0xfff00000; // generation bits of a slot; the low 20 bits are code << m
const ROW = 0x000fffff;

// Sized for the largest palette seen so far: 2^m × 4096 × (4 + 2) bytes, 1.5 MB for 64 colours.
let dense = new Int32Array(0);
let gen = 0;
/** runCode[c << 12 | j] = code of c^j (j = 1 is c itself); valid for j ≤ runLen[c]. */
let runCode = new Int16Array(0);
const runLen = new Int32Array(256);
let raw = new Uint8Array(1 << 16);

/** Worst case: one 12-bit code per pixel, plus clear codes (one per ≥ 4000 codes), first clear and end. */
function rawCapacity(n: number): number {
  return (((n + (n >> 11) + 4) * 12) >> 3) + 8;
}

/** A fresh dictionary: stale slots and runs become invisible. */
function nextGeneration(): number {
  if (++gen > 0xfff) {
    dense.fill(0);
    gen = 1;
  }
  runLen.fill(1);
  return gen << 20;
}

/**
 * LZW-compresses `px` with the given minimum code size (2..8) and returns the
 * packed code stream (no sub-block framing). The view is into a shared buffer
 * and stays valid only until the next call. Indices are masked to the code
 * size, so out-of-range input still yields a valid stream.
 */
export function lzwCompress(px: Uint8Array, minCodeSize: number): Uint8Array {
  if (px.length === 0) throw new Error("LZW: no pixels");
  if (minCodeSize < 2 || minCodeSize > 8) throw new Error("LZW: minimum code size must be 2..8");
  return compress(px, minCodeSize, MAX_CODE);
}

/** `maxCode` is 4096 except in the warm-up below, which shrinks it to reach the table-reset path. */
function compress(px: Uint8Array, m: number, maxCode: number): Uint8Array {
  const n = px.length;
  const need = rawCapacity(n);
  if (raw.length < need) raw = new Uint8Array(Math.max(need, raw.length * 2));
  if (dense.length < MAX_CODE << m) {
    dense = new Int32Array(MAX_CODE << m);
    runCode = new Int16Array(MAX_CODE << m);
    for (let c = 0; c < 1 << m; c++) runCode[(c << 12) | 1] = c;
  }
  const out = raw;
  const tab = dense;
  let stamp = nextGeneration();

  const clear = 1 << m;
  const eoi = clear + 1;
  const pxMask = clear - 1;
  let next = eoi + 1;
  let size = m + 1;
  let limit = 1 << size; // the code that, once assigned, needs one more bit
  let acc = clear; // the stream starts with a clear code
  let bits = size;
  let p = 0;
  let row = 0; // current string's code << m
  let i = 1; // next pixel to read
  let c = (px[0] as number) & pxMask; // first pixel of the current string, at i - 1
  let runEnd = 0; // px[i - 1 .. runEnd) all equal c while i - 1 < runEnd

  strings: for (;;) {
    // A new string starts with c. If c repeats, skip the run through c, cc, ..., c^L.
    if (i >= n || ((px[i] as number) & pxMask) !== c) {
      row = c << m;
    } else {
      if (i - 1 >= runEnd) {
        runEnd = i + 1;
        while (runEnd < n && ((px[runEnd] as number) & pxMask) === c) runEnd++;
      }
      const run = runEnd - i + 1;
      const known = runLen[c] as number;
      if (run <= known) {
        row = (runCode[(c << 12) | run] as number) << m;
        i = runEnd;
      } else {
        // c^known then c again: a new string. Emit c^known, add c^(known + 1), restart at c.
        const code = runCode[(c << 12) | known] as number;
        i += known - 1;
        acc |= code << bits;
        bits += size;
        if (bits >= 16) {
          out[p++] = acc;
          out[p++] = acc >>> 8;
          acc >>>= 16;
          bits -= 16;
        }
        if (next === maxCode) {
          acc |= clear << bits;
          bits += size;
          if (bits >= 16) {
            out[p++] = acc;
            out[p++] = acc >>> 8;
            acc >>>= 16;
            bits -= 16;
          }
          stamp = nextGeneration();
          next = eoi + 1;
          size = m + 1;
          limit = 1 << size;
        } else {
          if (next === limit) {
            size++;
            limit <<= 1;
          }
          tab[(code << m) | c] = stamp | (next << m);
          runCode[(c << 12) | (known + 1)] = next;
          runLen[c] = known + 1;
          next++;
        }
        i++;
        continue;
      }
    }
    // Follow the dictionary until the string can grow no further.
    for (; i < n; i++) {
      const k = (px[i] as number) & pxMask;
      const h = row | k;
      const v = tab[h] as number;
      if ((v & STAMP) === stamp) {
        row = v & ROW;
        continue;
      }
      acc |= (row >>> m) << bits;
      bits += size;
      if (bits >= 16) {
        out[p++] = acc;
        out[p++] = acc >>> 8;
        acc >>>= 16;
        bits -= 16;
      }
      if (next === maxCode) {
        acc |= clear << bits;
        bits += size;
        if (bits >= 16) {
          out[p++] = acc;
          out[p++] = acc >>> 8;
          acc >>>= 16;
          bits -= 16;
        }
        stamp = nextGeneration();
        next = eoi + 1;
        size = m + 1;
        limit = 1 << size;
      } else {
        if (next === limit) {
          size++;
          limit <<= 1;
        }
        tab[h] = stamp | (next << m);
        next++;
      }
      c = k;
      i++;
      continue strings;
    }
    break;
  }

  acc |= (row >>> m) << bits;
  bits += size;
  if (bits >= 16) {
    out[p++] = acc;
    out[p++] = acc >>> 8;
    acc >>>= 16;
    bits -= 16;
  }
  // The decoder adds the entry for the last code before reading the end code,
  // so the end code is one bit wider when that entry fills the current width.
  if (next === limit && size < 12) size++;
  acc |= eoi << bits;
  bits += size;
  while (bits > 0) {
    out[p++] = acc;
    acc >>>= 8;
    bits -= 8;
  }
  return out.subarray(0, p);
}

/** Bytes `writeSubBlocks` writes for `n` data bytes: a length byte per ≤ 255-byte block, then a 0 terminator. */
export function subBlocksLength(n: number): number {
  return n + Math.ceil(n / 255) + 1;
}

/** Frames `data` as GIF data sub-blocks plus the terminator into `out` at `pos`; returns the end. */
export function writeSubBlocks(data: Uint8Array, out: Uint8Array, pos: number): number {
  let p = pos;
  for (let i = 0; i < data.length; i += 255) {
    const len = Math.min(255, data.length - i);
    out[p++] = len;
    out.set(data.subarray(i, i + len), p);
    p += len;
  }
  out[p++] = 0;
  return p;
}

/**
 * Runs every branch once in the interpreter at load time (~1 ms; coverage was
 * checked by instrumenting each branch). Otherwise the first big frame gets
 * optimized on-stack mid-loop before the code after the loop (or a table
 * reset) ever ran, and V8 can keep re-entering that code and bailing out at
 * the same spot on every call (seen in micro-benchmarks: ~1500 bail-outs).
 */
const warm = new Uint8Array(400); // runs of 1..7 pixels in 4 colours
for (let i = 0, j = 0; i < warm.length; j++) {
  const end = Math.min(warm.length, i + 1 + (j % 7));
  warm.fill((j * 3 + (j >> 2)) & 3, i, end);
  i = end;
}
for (let n = 1; n <= 24; n++) compress(warm.subarray(0, n), 2, MAX_CODE); // some end on a width change
compress(warm, 2, MAX_CODE);
const codes = compress(warm, 2, 16); // table resets in runs and elsewhere
writeSubBlocks(codes, new Uint8Array(subBlocksLength(codes.length)), 0);
