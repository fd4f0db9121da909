/**
 * GlyphRasterizer on resvg: draws one <text> per call and keeps its alpha.
 *
 * - `loadSystemFonts: false`: scanning system fonts costs ~350 ms per render
 *   on a typical Linux box (measured), against ~1–5 ms with explicit files.
 * - resvg-js 2.6 accepts font *files*, not buffers, so each call loads only
 *   the chosen font plus the fallbacks (read by resvg, served from the page
 *   cache), and the large fallback faces (fonts/fallback/) only when the text
 *   has a character the others lack. This runs once per glyph and style: the
 *   core caches the tiles.
 */
import { Resvg } from "@resvg/resvg-js";
import { findUndrawable, type TextCoverage } from "../../core/blocks/texts.js";
import type { GlyphMask, GlyphRasterizer } from "../../core/countdown/index.js";
import { anyHas, neededFallbacks } from "../fonts/coverage.js";
import {
  DEFAULT_FALLBACK_DIR,
  DEFAULT_FONTS_DIR,
  FALLBACK_FONT_IDS,
  type FontFile,
  listFonts,
} from "./fonts.js";

const escapeXml = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] as string,
  );

export interface ResvgRasterizer extends GlyphRasterizer {
  readonly fonts: readonly FontFile[];
  readonly fontIds: readonly string[];
  /** What countdown texts can draw: the chosen font, the fallbacks, no emoji (one ink colour). */
  readonly coverage: TextCoverage;
}

export function createResvgRasterizer(
  opts: { fontDirs?: readonly string[]; fallbackDir?: string } = {},
): ResvgRasterizer {
  const fonts = listFonts([DEFAULT_FONTS_DIR, ...(opts.fontDirs ?? [])]);
  const byId = new Map(fonts.map((f) => [f.id, f]));
  const fallbacks = FALLBACK_FONT_IDS.map((id) => byId.get(id)).filter((f): f is FontFile => !!f);
  const lazy = listFonts([opts.fallbackDir ?? DEFAULT_FALLBACK_DIR]);
  const chain = (font: string | undefined) => {
    const primary = (font !== undefined && byId.get(font)) || fonts[0];
    return primary ? [primary, ...fallbacks.filter((f) => f !== primary)] : fallbacks;
  };

  function rasterize(text: string, font: string, sizePx: number): GlyphMask {
    const primary = byId.get(font) ?? fonts[0];
    if (!primary) throw new Error("no fonts found in fonts/");
    // Generous box: 1.4 em per character covers the widest glyphs; ascent/descent fit in 1.6 em.
    const baseline = Math.ceil(sizePx * 1.2);
    const width = Math.max(4, Math.ceil(sizePx * (1.4 * [...text].length + 0.5)));
    const height = Math.ceil(sizePx * 1.6);
    const x = Math.ceil(sizePx * 0.25);
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<text x="${x}" y="${baseline}" font-family="opentime-font" font-size="${sizePx}" fill="#000" xml:space="preserve">${escapeXml(text)}</text></svg>`;
    const eager = chain(font);
    const files = [...eager, ...neededFallbacks(text, eager, lazy)].map((f) => f.path);
    const r = new Resvg(svg, {
      // The family in the SVG matches nothing, so resvg uses the first file loaded, then falls back per character.
      font: { loadSystemFonts: false, fontFiles: files, defaultFontFamily: "" },
      textRendering: 2,
      shapeRendering: 2,
      logLevel: "off",
    }).render();
    const rgba = r.pixels;
    const alpha = new Uint8Array(r.width * r.height);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[i * 4 + 3] as number;
    return { width: r.width, height: r.height, alpha, baseline };
  }

  const coverage: TextCoverage = {
    undrawable: (text, font) => {
      const files = [...chain(font), ...lazy];
      return findUndrawable(text, { glyph: (cp) => anyHas(files, cp) });
    },
  };
  return { rasterize, fonts, fontIds: fonts.map((f) => f.id), coverage };
}
