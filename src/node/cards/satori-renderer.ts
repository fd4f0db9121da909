/**
 * CardRenderer on satori → resvg → sharp.
 *
 * - Fonts are read ONCE, here, from fonts/ (bold faces ship today; a Regular file dropped
 *   beside them is picked up as weight 400). satori embeds the glyphs it uses as paths in
 *   the SVG, so resvg needs no font at all: `loadSystemFonts: false` skips the system font
 *   scan that resvg's defaults run on every render (~90 ms of a ~100 ms card here).
 * - resvg draws the pixels; a flat card's PNG is an exact palette (indexed-png.ts), sharp
 *   encodes the rest (faster and smaller than resvg's own encoder; JPEG flattened on the
 *   card's white, since email clients show JPEG transparency as black).
 */
import { readFileSync } from "node:fs";
import { Resvg, renderAsync } from "@resvg/resvg-js";
import satori from "satori";
import sharp from "sharp";
import type { CardElement, CardRenderer, CardRenderOptions } from "../../core/cards/types.js";
import { DEFAULT_FONTS_DIR, type FontFile, listFonts } from "../countdown/fonts.js";
import { type CardText, cardText, type SatoriFont } from "./card-text.js";
import { encodeIndexedPng } from "./indexed-png.js";

/** File-name prefix → CSS family name templates use. Order = fallback order for missing glyphs. */
const FAMILIES: readonly [prefix: string, family: string][] = [
  ["Roboto", "Roboto"],
  ["OpenSans", "Open Sans"],
  ["Lato", "Lato"],
  ["DejaVuSans", "DejaVu Sans"],
  ["NotoSansJP", "Noto Sans JP"],
];
const WEIGHTS: Record<string, 400 | 700> = { Regular: 400, Bold: 700 };

export interface CardFonts {
  /** The card faces, parsed by satori once per process (it keeps its parse per array). */
  fonts: SatoriFont[];
  families: string[];
  /** Emoji, fallback faces and what they can draw together. */
  text: CardText;
}

// One set per directory for the process: the card and layout renderers share it, so the
// ~2 MB of faces are read and parsed once.
const loaded = new Map<string, CardFonts>();

export function loadCardFonts(dir = DEFAULT_FONTS_DIR): CardFonts {
  const hit = loaded.get(dir);
  if (hit) return hit;
  const fonts: SatoriFont[] = [];
  const used: FontFile[] = [];
  const files = listFonts([dir]);
  for (const [prefix, family] of FAMILIES) {
    for (const [suffix, weight] of Object.entries(WEIGHTS)) {
      const f = files.find((x) => x.id === `${prefix}-${suffix}`);
      if (!f) continue;
      fonts.push({ name: family, data: readFileSync(f.path), weight, style: "normal" });
      used.push(f);
    }
  }
  if (!fonts.length) throw new Error(`no card fonts found in ${dir}`);
  const set = { fonts, families: [...new Set(fonts.map((f) => f.name))], text: cardText(used) };
  loaded.set(dir, set);
  return set;
}

export async function createSatoriRenderer(opts: { fontsDir?: string } = {}): Promise<CardRenderer> {
  const { fonts, families, text } = loadCardFonts(opts.fontsDir ?? DEFAULT_FONTS_DIR);

  function render(tree: CardElement, o: CardRenderOptions): Promise<Uint8Array> {
    return drawingCard(async () => {
      // satori's types want React nodes; our trees have exactly the shape it reads.
      const svg = await satori(tree as unknown as Parameters<typeof satori>[0], {
        width: o.width,
        height: o.height,
        fonts,
        ...text.satoriOptions(tree),
      });
      return rasterize(svg, o);
    });
  }

  // Warm satori's layout engine (wasm) at start, so the first recipient does not pay ~100 ms.
  await render(
    { type: "div", props: { style: { display: "flex", fontFamily: families[0]! }, children: "0" } },
    { width: 8, height: 8, scale: 1, format: "png" },
  );
  return { render, families, coverage: text.coverage };
}

/** Cards being drawn in this process (satori and resvg both), across every renderer. */
let drawing = 0;

/** Wraps one card's whole draw, so rasterize() knows whether others are under way. */
export async function drawingCard<T>(draw: () => Promise<T>): Promise<T> {
  drawing++;
  try {
    return await draw();
  } finally {
    drawing--;
  }
}

/** satori's SVG → pixels (resvg, no system fonts: glyphs are paths already) → the asked format. */
export async function rasterize(svg: string, o: CardRenderOptions): Promise<Uint8Array> {
  const options = {
    font: { loadSystemFonts: false },
    fitTo: { mode: "zoom" as const, value: o.scale },
    logLevel: "off" as const,
  };
  // Alone, resvg draws here (a thread hop would add ~0.3 ms to the open waiting for it).
  // While another card is being drawn, it draws on libuv's pool instead, so a burst of
  // distinct cards (a banner per first name) does not queue its ~1.5 ms per card of
  // pixel work on the thread that serves every request: measured 3.6 vs 4.4 ms per card
  // with 8 in flight, 600x300.
  const pixels = drawing > 1 ? await renderAsync(svg, options) : new Resvg(svg, options).render();
  if (o.format === "png") {
    // A flat card (≤ 256 colours) as an exact palette PNG, 4.6 KB; otherwise libpng through
    // sharp, not resvg's encoder: on a 600x300 card 1.8 ms and 7.8 KB against 5.0 ms and
    // 11.6 KB for resvg's asPng(), the same pixels.
    const indexed = encodeIndexedPng(pixels.pixels, pixels.width, pixels.height);
    if (indexed) return indexed;
  }
  const img = sharp(pixels.pixels, {
    raw: { width: pixels.width, height: pixels.height, channels: 4 },
  });
  if (o.format === "png") return img.png({ compressionLevel: 6 }).toBuffer();
  if (o.format === "jpg")
    return img.flatten({ background: "#ffffff" }).jpeg({ quality: 88, mozjpeg: true }).toBuffer();
  if (o.format === "webp") return img.webp({ quality: 90 }).toBuffer();
  // Static GIF for clients that only take GIF: sharp's palette quantiser, no dithering noise on flat cards.
  return img.gif({ effort: 7, dither: 0 }).toBuffer();
}
