import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppAsset, AppAssets } from "../core/services.js";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

/** dist/app, built by web/build.mjs: found from dist/node (built) or src/node (tsx). */
export function appDir(): string | null {
  for (const rel of ["../app", "../../dist/app"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return null;
}

/** The web app's files, read once into memory (a few hundred KB); absent when not built. */
export function loadAppAssets(dir = appDir()): AppAssets | undefined {
  if (!dir) return undefined;
  const files = new Map<string, AppAsset>();
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      if (statSync(join(dir, rel)).isDirectory()) walk(rel);
      else {
        const type = TYPES[extname(name)];
        if (type)
          files.set(rel, { body: readFileSync(join(dir, rel)), type, immutable: rel !== "index.html" });
      }
    }
  };
  walk("");
  return { get: (path) => files.get(path) };
}
