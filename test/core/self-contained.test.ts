import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
// Built, installed or generated here, not part of the project's text.
const SKIP = new Set(["node_modules", "dist", "data", "coverage", ".git", "results", ".scratch"]);
const TEXT = /\.(ts|mts|mjs|js|json|md|yml|yaml|html|txt|sh)$|^(Dockerfile|run)$/;

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* files(path);
    else if (TEXT.test(e.name)) yield path;
  }
}

// Documents that live beside the project, not in it (spelled so this file does not match).
const OUTSIDE = new RegExp(
  ["\\.\\./shared", "shared/[A-Z]", "/w[o]rk/", "(DESIGN|REFERENCE|STYLE)\\.md"].join("|"),
);

describe("the project is self-contained", () => {
  it("no README, doc, comment or test sends its reader to a file outside the project", () => {
    const found: string[] = [];
    for (const file of files(ROOT)) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (OUTSIDE.test(line)) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });
});
