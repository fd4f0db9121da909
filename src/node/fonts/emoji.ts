/**
 * Colour emoji for cards: Twemoji's SVGs (the @twemoji/svg package, one file per emoji,
 * named by its code points in hex). Only the file names are listed at start; an SVG is
 * read when a card first draws that emoji and kept as a data: URL (bounded).
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Lru } from "../../core/util/lru.js";

/** A few hundred distinct emoji is far more than live cards use; an SVG is ~1-3 KB. */
const MAX_CACHED = 512;

export interface EmojiSource {
  /** Whether there is a picture for this emoji (a grapheme). */
  has(emoji: string): boolean;
  /** A data: URL of the emoji's picture, or null when Twemoji has none for it. */
  url(emoji: string): string | null;
}

function twemojiDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve("@twemoji/svg/package.json"));
  } catch {
    return null;
  }
}

export function loadTwemoji(dir: string | null = twemojiDir()): EmojiSource {
  const names = new Set<string>();
  if (dir) {
    try {
      for (const f of readdirSync(dir)) if (f.endsWith(".svg")) names.add(f.slice(0, -4));
    } catch {
      // No emoji pictures: cards refuse emoji at save like any character they cannot draw.
    }
  }
  const cache = new Lru<string, string>(MAX_CACHED);
  // Twemoji names a sequence without its U+FE0F presentation selectors unless it has a ZWJ;
  // both spellings are tried, as its own parser does.
  const fileOf = (emoji: string): string | null => {
    const cps = [...emoji].map((c) => c.codePointAt(0)!.toString(16));
    for (const name of [cps.join("-"), cps.filter((c) => c !== "fe0f").join("-")])
      if (names.has(name)) return name;
    return null;
  };
  return {
    has: (emoji) => fileOf(emoji) !== null,
    url(emoji) {
      const hit = cache.get(emoji);
      if (hit !== undefined) return hit;
      const name = dir && fileOf(emoji);
      if (!name) return null;
      const url = `data:image/svg+xml;base64,${readFileSync(join(dir, `${name}.svg`)).toString("base64")}`;
      cache.set(emoji, url);
      return url;
    },
  };
}
