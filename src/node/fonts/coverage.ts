/**
 * Which characters the server's font files can draw, from their cmaps (read once per file
 * per process, a few KB each). The countdown rasterizer and the card renderer answer
 * TextCoverage from this, and load a large fallback face only for a text that needs it.
 */
import type { FontFile } from "../countdown/fonts.js";
import { CodePoints, readCodePoints } from "./cmap.js";

const NONE = new CodePoints(new Uint32Array(0));
const byPath = new Map<string, CodePoints>();

/** The code points of a font file; none when it cannot be read (it then draws nothing). */
export function codePointsOf(file: FontFile): CodePoints {
  let p = byPath.get(file.path);
  if (!p) {
    try {
      p = readCodePoints(file.path);
    } catch {
      p = NONE;
    }
    byPath.set(file.path, p);
  }
  return p;
}

/** Whether any of `files` has a glyph for `cp`. */
export function anyHas(files: readonly FontFile[], cp: number): boolean {
  for (const f of files) if (codePointsOf(f).has(cp)) return true;
  return false;
}

/** The files of `lazy` needed for the characters of `text` that `eager` lacks (usually none). */
export function neededFallbacks(
  text: string,
  eager: readonly FontFile[],
  lazy: readonly FontFile[],
): FontFile[] {
  if (lazy.length === 0) return [];
  const needed: FontFile[] = [];
  for (const c of text) {
    const cp = c.codePointAt(0)!;
    // Most texts are ASCII, which every shipped face has.
    if (cp < 0x80 || anyHas(eager, cp)) continue;
    const f = lazy.find((l) => codePointsOf(l).has(cp));
    if (f && !needed.includes(f)) needed.push(f);
  }
  return needed;
}
