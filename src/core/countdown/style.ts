/**
 * A "style" is everything about a countdown except its deadline: palette,
 * layout, the static layer (background, boxes, separators) and the frame
 * blocks already encoded for it. Built once, shared by every render of the
 * same look, so a warm request only blits tiles and encodes frame 1.
 */
import { gifHeader } from "./gif.js";
import { GlyphCache, type GlyphRasterizer, type Tile } from "./glyphs.js";
import { computeLayout, type Layout } from "./layout.js";
import { allUnitLabels, unitLabel } from "./locales.js";
import { type CountdownOptions, type CountdownUnit, resolvedUnits } from "./options.js";
import { buildPalette, type StylePalette } from "./palette.js";
import { blit, createImage, fillRect, type IndexedImage } from "./raster.js";
import { breakdown } from "./time.js";

export interface Style {
  key: string;
  width: number;
  height: number;
  font: string;
  palette: StylePalette;
  layout: Layout;
  header: Uint8Array;
  units: CountdownUnit[];
  digitCounts: number[];
  /** Static layer; each render copies it, then draws digits and labels. */
  base: IndexedImage;
  digitTiles: Tile[];
  labelTile(text: string): Tile;
  /** Encoded frame blocks keyed by what they show; bounded by MAX_BLOCKS. */
  blocks: Map<string, Uint8Array>;
}

/**
 * 256 styles × (≤ 128 blocks of typically < 1 KB) keeps the style cache in the
 * low tens of MB; an operator rarely has more live countdown looks than that,
 * and an evicted style only costs one re-layout (tiles stay in the GlyphCache).
 */
const MAX_STYLES = 256;
export const MAX_BLOCKS = 128;

export interface Engine {
  glyphs: GlyphCache;
  styles: Map<string, Style>;
}

const engines = new WeakMap<GlyphRasterizer, Engine>();

/** One engine per rasterizer instance: the warm caches live as long as it does. */
export function engineFor(r: GlyphRasterizer): Engine {
  let e = engines.get(r);
  if (!e) {
    e = { glyphs: new GlyphCache(r), styles: new Map() };
    engines.set(r, e);
  }
  return e;
}

const UNIT_SECONDS: Record<CountdownUnit, number> = { days: 86_400, hours: 3_600, minutes: 60, seconds: 1 };

/**
 * Digits per cell: the largest unit gets as many as the first frame needs
 * (values only go down), smaller units as many as their range can reach
 * (minutes without hours run to 1439). Never fewer than two: "05" reads as a clock.
 */
export function digitCounts(o: CountdownOptions, firstSecond: number): number[] {
  const units = resolvedUnits(o.units);
  const first = breakdown(firstSecond * 1000, o.units);
  return units.map((u, i) => {
    const max = i === 0 ? (first[u] ?? 0) : UNIT_SECONDS[units[i - 1] as CountdownUnit] / UNIT_SECONDS[u] - 1;
    return Math.max(2, String(max).length);
  });
}

export function styleFor(engine: Engine, o: CountdownOptions, counts: number[]): Style {
  const width = o.width * o.scale;
  const height = o.height * o.scale;
  const key = JSON.stringify([
    width,
    height,
    o.layout,
    o.font,
    o.units,
    o.labels,
    o.locale,
    o.separator,
    o.background,
    o.digitColor,
    o.labelColor,
    o.boxColor,
    o.matte,
    counts,
  ]);
  const hit = engine.styles.get(key);
  if (hit) {
    engine.styles.delete(key);
    engine.styles.set(key, hit);
    return hit;
  }
  const units = resolvedUnits(o.units);
  const palette = buildPalette(o);
  const layout = computeLayout(
    {
      width,
      height,
      preset: o.layout,
      font: o.font,
      units,
      digitCounts: counts,
      labels: o.labels ? units.map((u) => allUnitLabels(o.locale, u)) : null,
      separator: o.separator,
    },
    engine.glyphs,
  );
  const base = createImage(width, height, palette.bg);
  for (const c of layout.cells) if (c.box) fillRect(base, c.box, palette.box);
  for (const s of layout.separators) blit(base, s.tile, s.x, s.y, palette.textRamp);
  const style: Style = {
    key,
    width,
    height,
    font: o.font,
    palette,
    layout,
    header: gifHeader(width, height, palette.colors),
    units,
    digitCounts: counts,
    base,
    digitTiles: [..."0123456789"].map((d) => engine.glyphs.tile(d, o.font, layout.digitSize)),
    labelTile: (text) => engine.glyphs.tile(text, o.font, layout.labelSize),
    blocks: new Map(),
  };
  engine.styles.set(key, style);
  if (engine.styles.size > MAX_STYLES) engine.styles.delete(engine.styles.keys().next().value as string);
  return style;
}

/** What every dynamic element of the style shows at `second` seconds left. */
export interface Values {
  digits: string[];
  labels: string[];
}

export function valuesAt(style: Style, o: CountdownOptions, second: number): Values {
  const b = breakdown(second * 1000, o.units);
  const digits: string[] = [];
  const labels: string[] = [];
  style.units.forEach((u, i) => {
    const n = b[u] ?? 0;
    const count = style.digitCounts[i] as number;
    digits.push(String(n).padStart(count, "0").slice(-count));
    labels.push(o.labels ? unitLabel(o.locale, u, n) : "");
  });
  return { digits, labels };
}

export function drawDigit(img: IndexedImage, style: Style, cell: number, slot: number, ch: string): void {
  const c = style.layout.cells[cell];
  const r = c?.slots[slot];
  if (!c || !r) return;
  const ground = c.box ? style.palette.box : style.palette.bg;
  fillRect(img, r, ground);
  const t = style.digitTiles[ch.charCodeAt(0) - 48] as Tile;
  const ramp = c.box ? style.palette.digitRamp : style.palette.textRamp;
  blit(img, t, r.x + Math.floor((r.w - t.w) / 2), c.digitBaseline + t.top, ramp);
}

export function drawLabel(img: IndexedImage, style: Style, cell: number, text: string): void {
  const l = style.layout.cells[cell]?.label;
  if (!l) return;
  fillRect(img, l.rect, style.palette.bg);
  const t = style.labelTile(text);
  const x = l.align === "center" ? l.rect.x + Math.floor((l.rect.w - t.w) / 2) : l.rect.x;
  blit(img, t, x, l.baseline + t.top, style.palette.labelRamp);
}

/** Frame 1: the static layer plus every digit and label — complete on its own. */
export function drawAll(style: Style, v: Values): IndexedImage {
  const img: IndexedImage = { width: style.width, height: style.height, px: style.base.px.slice() };
  v.digits.forEach((d, cell) => {
    for (let k = 0; k < d.length; k++) drawDigit(img, style, cell, k, d[k] as string);
  });
  v.labels.forEach((l, cell) => {
    if (l) drawLabel(img, style, cell, l);
  });
  return img;
}
