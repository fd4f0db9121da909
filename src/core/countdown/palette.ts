import type { CountdownOptions } from "./options.js";

/**
 * One global palette per style. GIF allows 256 colours; a countdown needs few:
 * background, box fill and three anti-aliasing ramps (ink over its ground).
 * 8 coverage levels look the same as 16 (or 256) at text sizes, compared at 4x zoom,
 * and keep the whole palette ≤ 32 entries, so LZW codes start at 6 bits instead of 7:
 * a 600x120 60-frame timer is 24.0 KB instead of 28.3 KB (-15%) for every open.
 */
export const LEVELS = 8;

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface StylePalette {
  /** 0xRRGGBB entries, padded to a power of two as GIF requires. */
  colors: number[];
  /** GIF transparency index (always 0) when the background is transparent. */
  transparentIndex: number | null;
  bg: number;
  box: number;
  /** level (0..LEVELS-1) → palette index; level 0 is the ground the ink sits on. */
  digitRamp: Uint8Array;
  labelRamp: Uint8Array;
  /** Digit colour over the background: separators and the expired text. */
  textRamp: Uint8Array;
}

export function parseColour(c: string): { rgb: Rgb; alpha: number } | "transparent" {
  if (c === "transparent") return "transparent";
  let h = c.slice(1);
  if (h.length === 3) h = [...h].map((x) => x + x).join("");
  const n = (i: number) => Number.parseInt(h.slice(i, i + 2), 16);
  return { rgb: { r: n(0), g: n(2), b: n(4) }, alpha: h.length === 8 ? n(6) / 255 : 1 };
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return {
    r: Math.round(a.r + (b.r - a.r) * t),
    g: Math.round(a.g + (b.g - a.g) * t),
    b: Math.round(a.b + (b.b - a.b) * t),
  };
}

const pack = (c: Rgb) => (c.r << 16) | (c.g << 8) | c.b;

/** Colours with alpha are pre-blended over what they sit on: GIF has no partial alpha. */
function over(c: string, ground: Rgb): Rgb {
  const p = parseColour(c);
  if (p === "transparent") return ground;
  return mix(ground, p.rgb, p.alpha);
}

export function buildPalette(
  o: Pick<CountdownOptions, "background" | "digitColor" | "labelColor" | "boxColor" | "matte" | "layout">,
): StylePalette {
  const matte = over(o.matte, { r: 255, g: 255, b: 255 });
  const bgParsed = parseColour(o.background);
  // A fully transparent #rrggbb00 counts as transparent too.
  const transparent = bgParsed === "transparent" || bgParsed.alpha === 0;
  const ground = transparent ? matte : over(o.background, matte);
  const colors: number[] = [pack(ground)];
  const index = new Map<number, number>();
  if (!transparent) index.set(colors[0] as number, 0); // a transparent index must never be reused for ink
  const add = (c: Rgb): number => {
    const v = pack(c);
    let i = index.get(v);
    if (i === undefined) {
      i = colors.length;
      colors.push(v);
      index.set(v, i);
    }
    return i;
  };
  const boxRgb = over(o.boxColor, ground);
  const box = o.layout === "boxes" ? add(boxRgb) : 0;
  const ramp = (groundRgb: Rgb, groundIndex: number, ink: string): Uint8Array => {
    const inkRgb = over(ink, groundRgb);
    const r = new Uint8Array(LEVELS);
    r[0] = groundIndex;
    for (let l = 1; l < LEVELS; l++) r[l] = add(mix(groundRgb, inkRgb, l / (LEVELS - 1)));
    return r;
  };
  const digitRamp = o.layout === "boxes" ? ramp(boxRgb, box, o.digitColor) : ramp(ground, 0, o.digitColor);
  const labelRamp = ramp(ground, 0, o.labelColor);
  const textRamp = ramp(ground, 0, o.digitColor);
  let size = 2;
  while (size < colors.length) size *= 2;
  while (colors.length < size) colors.push(0);
  return { colors, transparentIndex: transparent ? 0 : null, bg: 0, box, digitRamp, labelRamp, textRamp };
}
