import type { GlyphCache, Tile } from "./glyphs.js";
import type { CountdownLayout, CountdownUnit } from "./options.js";

/**
 * Cell geometry per preset. Every size is a fixed fraction of the digit font
 * size `s`, so the layout is solved by measuring once at a reference size and
 * scaling, then verified with the real tiles (glyph widths are not exactly
 * linear in size) and shrunk until it fits.
 */

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface CellGeom {
  unit: CountdownUnit;
  /** One rect per digit position; all digits of the style fit any slot. */
  slots: Rect[];
  digitBaseline: number;
  box: Rect | null;
  label: { rect: Rect; baseline: number; align: "center" | "left" } | null;
}

export interface Layout {
  digitSize: number;
  labelSize: number;
  slotW: number;
  cells: CellGeom[];
  separators: { x: number; y: number; tile: Tile }[];
}

export interface LayoutInput {
  width: number;
  height: number;
  preset: CountdownLayout;
  font: string;
  units: CountdownUnit[];
  digitCounts: number[];
  /** Every label form per unit (the widest reserves room), or null when labels are off. */
  labels: string[][] | null;
  separator: string;
}

const DIGITS = "0123456789";
const REF = 100;

interface Metrics {
  totalW: number;
  totalH: number;
  place(x0: number, y0: number): Layout;
}

function inkBand(tiles: Tile[]): { top: number; bottom: number; maxW: number } {
  let top = 0;
  let bottom = 0;
  let maxW = 0;
  let any = false;
  for (const t of tiles) {
    if (t.w === 0) continue;
    top = any ? Math.min(top, t.top) : t.top;
    bottom = any ? Math.max(bottom, t.top + t.h) : t.top + t.h;
    maxW = Math.max(maxW, t.w);
    any = true;
  }
  return { top, bottom, maxW };
}

function measure(inp: LayoutInput, s: number, glyphs: GlyphCache): Metrics {
  const { preset } = inp;
  const r = (f: number) => Math.round(f * s);
  const ls = Math.max(1, Math.round(s * (preset === "inline" ? 0.45 : 0.3)));
  const dm = inkBand([...DIGITS].map((d) => glyphs.tile(d, inp.font, s)));
  const slotW = dm.maxW + Math.max(1, r(0.08));
  const labelTiles = inp.labels?.map((forms) => forms.map((l) => glyphs.tile(l, inp.font, ls))) ?? null;
  const lm = labelTiles ? inkBand(labelTiles.flat()) : { top: 0, bottom: 0, maxW: 0 };
  const labelW = labelTiles?.map((ts) => Math.max(0, ...ts.map((t) => t.w))) ?? [];
  const sep = inp.separator ? glyphs.tile(inp.separator, inp.font, s) : null;
  const boxes = preset === "boxes";
  const padX = boxes ? r(0.2) : r(0.04);
  const padY = boxes ? r(0.2) : 0;
  const labelGap = labelTiles ? r(0.12) : 0;
  const labelSpace = r(0.15);
  const digitH = dm.bottom - dm.top;
  const labelH = labelTiles ? lm.bottom - lm.top : 0;
  const sepW = sep && sep.w > 0 ? sep.w + 2 * r(0.12) : 0;
  const gap = sepW || r(preset === "inline" ? 0.4 : 0.25);

  const inner = inp.digitCounts.map((n) => n * slotW + 2 * padX);
  const cellW = inp.units.map((_, i) =>
    preset === "inline"
      ? (inp.digitCounts[i] as number) * slotW + (labelTiles ? labelSpace + (labelW[i] as number) : 0)
      : Math.max(inner[i] as number, labelW[i] ?? 0),
  );
  const totalW = cellW.reduce((a, b) => a + b, 0) + gap * (inp.units.length - 1);
  const inlineTop = Math.min(dm.top, labelTiles ? lm.top : dm.top);
  const inlineBottom = Math.max(dm.bottom, labelTiles ? lm.bottom : dm.bottom);
  const boxH = digitH + 2 * padY;
  const totalH = preset === "inline" ? inlineBottom - inlineTop : boxH + (labelTiles ? labelGap + labelH : 0);

  const place = (x0: number, y0: number): Layout => {
    const cells: CellGeom[] = [];
    const separators: Layout["separators"] = [];
    const baseline = preset === "inline" ? y0 - inlineTop : y0 + padY - dm.top;
    const labelBaseline = y0 + boxH + labelGap - lm.top;
    let x = x0;
    inp.units.forEach((unit, i) => {
      const w = cellW[i] as number;
      const n = inp.digitCounts[i] as number;
      const digitsX = preset === "inline" ? x : x + Math.floor((w - (inner[i] as number)) / 2) + padX;
      const slots: Rect[] = [];
      for (let k = 0; k < n; k++)
        slots.push({ x: digitsX + k * slotW, y: baseline + dm.top, w: slotW, h: digitH });
      const box = boxes ? { x: digitsX - padX, y: y0, w: inner[i] as number, h: boxH } : null;
      let label: CellGeom["label"] = null;
      if (labelTiles) {
        label =
          preset === "inline"
            ? {
                rect: {
                  x: digitsX + n * slotW + labelSpace,
                  y: baseline + lm.top,
                  w: labelW[i] as number,
                  h: labelH,
                },
                baseline,
                align: "left",
              }
            : {
                rect: { x, y: labelBaseline + lm.top, w, h: labelH },
                baseline: labelBaseline,
                align: "center",
              };
      }
      cells.push({ unit, slots, digitBaseline: baseline, box, label });
      x += w;
      if (sep && sep.w > 0 && i < inp.units.length - 1) {
        const cy = boxes ? y0 + boxH / 2 : baseline + (dm.top + dm.bottom) / 2;
        separators.push({ x: x + Math.round((gap - sep.w) / 2), y: Math.round(cy - sep.h / 2), tile: sep });
      }
      x += gap;
    });
    return { digitSize: s, labelSize: ls, slotW, cells, separators };
  };
  return { totalW, totalH, place };
}

/** Margins keep ink off the image edge, where some clients crop or round corners. */
function margins(width: number, height: number) {
  return { mx: Math.max(1, Math.round(width * 0.03)), my: Math.max(1, Math.round(height * 0.06)) };
}

export function computeLayout(inp: LayoutInput, glyphs: GlyphCache): Layout {
  const { mx, my } = margins(inp.width, inp.height);
  const availW = Math.max(1, inp.width - 2 * mx);
  const availH = Math.max(1, inp.height - 2 * my);
  const ref = measure(inp, REF, glyphs);
  let s = Math.max(4, Math.floor(REF * Math.min(availW / ref.totalW, availH / ref.totalH)));
  let m = measure(inp, s, glyphs);
  // Real glyph widths drift a pixel or two from linear; shrink until it fits.
  for (let i = 0; i < 6 && s > 4 && (m.totalW > availW || m.totalH > availH); i++) {
    s = Math.max(4, Math.min(s - 1, Math.floor(s * Math.min(availW / m.totalW, availH / m.totalH))));
    m = measure(inp, s, glyphs);
  }
  return m.place(Math.floor((inp.width - m.totalW) / 2), Math.floor((inp.height - m.totalH) / 2));
}

/** Size and position for a single centred string (the expired text). */
export function fitText(text: string, font: string, width: number, height: number, glyphs: GlyphCache) {
  const { mx, my } = margins(width, height);
  const ref = glyphs.tile(text, font, REF);
  if (ref.w === 0) return null;
  // Cap at ~45% of the height so a short word does not become a poster.
  const maxByH = Math.floor((REF * Math.min(height - 2 * my, height * 0.45)) / ref.h);
  let s = Math.max(4, Math.min(Math.floor((REF * (width - 2 * mx)) / ref.w), maxByH));
  let t = glyphs.tile(text, font, s);
  for (let i = 0; i < 6 && s > 4 && t.w > width - 2 * mx; i++) {
    s = Math.max(4, s - Math.max(1, Math.ceil(s * 0.05)));
    t = glyphs.tile(text, font, s);
  }
  return { tile: t, size: s, x: Math.floor((width - t.w) / 2), y: Math.floor((height - t.h) / 2) };
}
