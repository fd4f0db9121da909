/**
 * Fonts available to countdowns: every .ttf/.otf in fonts/ plus any extra
 * directories. A font's id is its file name without extension
 * ("Roboto-Bold"), which is what the `font` option names.
 */
import { readdirSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";

export const DEFAULT_FONTS_DIR = resolve(import.meta.dirname, "../../../fonts");

/** Used for characters the chosen font lacks (Japanese labels in a Latin font). */
export const FALLBACK_FONT_IDS = ["NotoSansJP-Bold", "DejaVuSans-Bold"];

/**
 * Large faces for what the fonts above lack (the full Noto Sans JP: kanji beyond the subset,
 * ￥), never chosen by id: loaded only for a text that needs them, so a server whose texts
 * do not never reads them.
 */
export const DEFAULT_FALLBACK_DIR = resolve(DEFAULT_FONTS_DIR, "fallback");

export interface FontFile {
  id: string;
  path: string;
}

/** Earlier directories win on a duplicate id, so the shipped fonts cannot be shadowed by accident. */
export function listFonts(dirs: readonly string[] = [DEFAULT_FONTS_DIR]): FontFile[] {
  const seen = new Map<string, FontFile>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // a missing extra dir is not fatal: the shipped fonts still work
    }
    for (const name of names.sort()) {
      const ext = extname(name).toLowerCase();
      if (ext !== ".ttf" && ext !== ".otf") continue;
      const id = basename(name, extname(name));
      if (!seen.has(id)) seen.set(id, { id, path: join(dir, name) });
    }
  }
  return [...seen.values()];
}
