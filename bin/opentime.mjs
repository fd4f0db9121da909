#!/usr/bin/env node
// A checkout with its dev dependencies runs the TypeScript source through tsx, so the CLI is
// never older than the source; an install without them (`npm ci --omit=dev`, the Docker
// image) runs the build that `npm ci` made (dist/, the prepare script).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src", "cli.ts");
let tsx = null;
if (existsSync(source)) {
  try {
    tsx = await import("tsx/esm/api");
  } catch {
    // not installed: run the build
  }
}
if (tsx) {
  tsx.register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(join(root, "dist", "cli.js")).href);
}
