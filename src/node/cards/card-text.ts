/**
 * What lets a card draw any text a marketer types: the card fonts (parsed by satori once),
 * the large fallback faces (fonts/fallback/, the full Noto Sans JP) handed to satori only
 * when a text has a character the card fonts lack, and colour emoji (Twemoji) in place of
 * any font's monochrome glyph. The same knowledge answers TextCoverage, so a save is
 * refused exactly when a render could not draw the text.
 */
import { readFileSync } from "node:fs";
import { EMOJI, findUndrawable, graphemes, type TextCoverage } from "../../core/blocks/texts.js";
import type { CardChild, CardElement } from "../../core/cards/types.js";
import { DEFAULT_FALLBACK_DIR, type FontFile, listFonts } from "../countdown/fonts.js";
import { anyHas, neededFallbacks } from "../fonts/coverage.js";
import { type EmojiSource, loadTwemoji } from "../fonts/emoji.js";

export type SatoriFont = { name: string; data: Buffer; weight: 400 | 700; style: "normal" };

/** The family a fallback face is registered under: its own, so it never stands in for a card font's glyphs. */
const FALLBACK_FAMILY = "opentime fallback";

export interface CardText {
  coverage: TextCoverage;
  /** satori options for one tree: emoji pictures for its texts, fallback faces on demand. */
  satoriOptions(tree: CardElement): {
    graphemeImages: Record<string, string>;
    loadAdditionalAsset: (code: string, segment: string) => Promise<string | SatoriFont[]>;
  };
}

function collectEmoji(
  child: CardChild | CardChild[] | undefined,
  emoji: EmojiSource,
  out: Record<string, string>,
) {
  if (child === null || child === undefined) return;
  if (Array.isArray(child)) {
    for (const c of child) collectEmoji(c, emoji, out);
    return;
  }
  if (typeof child === "object") {
    collectEmoji(child.props.children, emoji, out);
    return;
  }
  // Most texts have no character above U+00FF outside Latin-1: skip the segmenter for them.
  if (!/[\u00a9\u00ae\u203c-\u3299\ud83c-\ud83e]/.test(child)) return;
  for (const g of graphemes(child)) {
    if (out[g] !== undefined || !EMOJI.test(g)) continue;
    const url = emoji.url(g);
    if (url) out[g] = url;
  }
}

export function cardText(
  cardFiles: readonly FontFile[],
  opts: { fallbackDir?: string; emoji?: EmojiSource } = {},
): CardText {
  const lazy = listFonts([opts.fallbackDir ?? DEFAULT_FALLBACK_DIR]);
  const emoji = opts.emoji ?? loadTwemoji();
  const all = [...cardFiles, ...lazy];
  // One Buffer per face for the process: satori keeps its parse of a face per Buffer.
  const faces = new Map<string, SatoriFont>();
  const face = (f: FontFile): SatoriFont => {
    let s = faces.get(f.path);
    if (!s) {
      s = { name: FALLBACK_FAMILY, data: readFileSync(f.path), weight: 700, style: "normal" };
      faces.set(f.path, s);
    }
    return s;
  };
  return {
    coverage: {
      undrawable: (text) =>
        findUndrawable(text, { glyph: (cp) => anyHas(all, cp), emoji: (g) => emoji.has(g) }),
    },
    satoriOptions(tree) {
      const graphemeImages: Record<string, string> = {};
      collectEmoji(tree, emoji, graphemeImages);
      return {
        graphemeImages,
        // satori asks for what none of its fonts has: a picture for an emoji, faces for the rest.
        loadAdditionalAsset: async (code, segment) => {
          if (code === "emoji") return emoji.url(segment) ?? "";
          return neededFallbacks(segment, cardFiles, lazy).map(face);
        },
      };
    },
  };
}
