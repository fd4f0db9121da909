/**
 * Which characters a font file has, read from its `cmap` table alone (TrueType or OpenType,
 * the first face of a collection). Only the table directory and the cmap are read, so
 * knowing what a 5 MB CJK face covers costs a few kilobytes of I/O at start, not the face.
 */
import { closeSync, openSync, readSync } from "node:fs";

/** Code points as sorted, disjoint [start, end] ranges (end inclusive). */
export class CodePoints {
  constructor(private readonly ranges: Uint32Array) {}

  has(cp: number): boolean {
    let lo = 0;
    let hi = this.ranges.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cp < this.ranges[mid * 2]!) hi = mid - 1;
      else if (cp > this.ranges[mid * 2 + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  get size(): number {
    let n = 0;
    for (let i = 0; i < this.ranges.length; i += 2) n += this.ranges[i + 1]! - this.ranges[i]! + 1;
    return n;
  }
}

function read(fd: number, offset: number, length: number): DataView {
  const buf = new Uint8Array(length);
  const n = readSync(fd, buf, 0, length, offset);
  if (n !== length) throw new Error("font file is truncated");
  return new DataView(buf.buffer);
}

/** Turns (code point, mapped) pairs in ascending order into ranges of mapped code points. */
class RangeBuilder {
  private readonly out: number[] = [];
  add(start: number, end: number): void {
    const last = this.out.length - 1;
    if (last > 0 && this.out[last] === start - 1) this.out[last] = end;
    else this.out.push(start, end);
  }
  build(): CodePoints {
    return new CodePoints(Uint32Array.from(this.out));
  }
}

/** Format 4: BMP segments, each mapped by a delta or through the glyph id array. */
function format4(t: DataView, o: number, b: RangeBuilder): void {
  const segX2 = t.getUint16(o + 6);
  const ends = o + 14;
  const starts = ends + segX2 + 2;
  const deltas = starts + segX2;
  const offsets = deltas + segX2;
  for (let i = 0; i < segX2 / 2; i++) {
    const end = t.getUint16(ends + i * 2);
    const start = t.getUint16(starts + i * 2);
    const delta = t.getUint16(deltas + i * 2);
    const ro = t.getUint16(offsets + i * 2);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      let gid: number;
      if (ro === 0) gid = (c + delta) & 0xffff;
      else {
        const at = offsets + i * 2 + ro + (c - start) * 2;
        gid = at + 2 <= t.byteLength ? t.getUint16(at) : 0;
        if (gid !== 0) gid = (gid + delta) & 0xffff;
      }
      if (gid !== 0) b.add(c, c);
    }
  }
}

/** Format 12: groups of consecutive code points (the full Unicode range). */
function format12(t: DataView, o: number, b: RangeBuilder): void {
  const groups = t.getUint32(o + 12);
  for (let i = 0; i < groups; i++) {
    const g = o + 16 + i * 12;
    const start = t.getUint32(g);
    const end = t.getUint32(g + 4);
    // A group starting at glyph 0 maps its first code point to .notdef: not really covered.
    b.add(t.getUint32(g + 8) === 0 ? start + 1 : start, end);
  }
}

/** The code points `path` maps to a glyph (other than .notdef). */
export function readCodePoints(path: string): CodePoints {
  const fd = openSync(path, "r");
  try {
    let base = 0;
    const head = read(fd, 0, 12);
    if (head.getUint32(0) === 0x74746366 /* "ttcf" */) base = read(fd, 12, 4).getUint32(0);
    const numTables = read(fd, base + 4, 2).getUint16(0);
    const dir = read(fd, base + 12, numTables * 16);
    let cmap: { offset: number; length: number } | null = null;
    for (let i = 0; i < numTables; i++) {
      if (dir.getUint32(i * 16) === 0x636d6170 /* "cmap" */)
        cmap = { offset: dir.getUint32(i * 16 + 8), length: dir.getUint32(i * 16 + 12) };
    }
    if (!cmap) throw new Error("font has no cmap table");
    const t = read(fd, cmap.offset, cmap.length);
    // Prefer the full-Unicode subtable (format 12) over the BMP one (format 4), Unicode or Windows.
    let best: { format: number; offset: number } | null = null;
    for (let i = 0; i < t.getUint16(2); i++) {
      const platform = t.getUint16(4 + i * 8);
      const offset = t.getUint32(8 + i * 8);
      const format = t.getUint16(offset);
      if (platform !== 0 && platform !== 3) continue;
      if (format === 12 || (format === 4 && best?.format !== 12)) best = { format, offset };
    }
    if (!best) throw new Error("font has no Unicode cmap subtable");
    const b = new RangeBuilder();
    if (best.format === 12) format12(t, best.offset, b);
    else format4(t, best.offset, b);
    return b.build();
  } finally {
    closeSync(fd);
  }
}
