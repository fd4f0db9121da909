/**
 * CardAssets from a folder (assets/ by default): every .png/.jpg/.gif up to 1 MB, read once
 * at start and kept as data: URLs. Only plain file names are listed, so an option can never
 * name a path outside the folder.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ASSET_NAME, type CardAssets } from "../../core/cards/assets.js";
import { DEFAULT_ASSETS_DIR } from "../countdown/expired-image.js";

/** Larger files would be re-encoded into the SVG of every render; banners need far less. */
const MAX_FILE_BYTES = 1024 * 1024;

const MIME: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
};

export function loadCardAssets(dir: string = DEFAULT_ASSETS_DIR): CardAssets {
  const urls = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    // No assets folder: cards can still use data: URLs.
  }
  for (const name of names) {
    if (!ASSET_NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile() || statSync(path).size > MAX_FILE_BYTES) continue;
      const mime = MIME[name.slice(name.lastIndexOf(".") + 1).toLowerCase()]!;
      urls.set(name, `data:${mime};base64,${readFileSync(path).toString("base64")}`);
    } catch {
      // An unreadable file is skipped; the server still starts.
    }
  }
  return { get: (name) => urls.get(name), names: [...urls.keys()] };
}
