import { resolve } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The core must run on Workers, Deno or Bun once given adapters: bundle it for a neutral
 * platform with no Node built-ins available. Any `node:*` import or native package
 * anywhere in its import graph fails the build.
 */
describe("edge-friendly core", () => {
  it("bundles src/core/app.ts for a non-Node platform", async () => {
    const result = await build({
      entryPoints: [resolve(ROOT, "src/core/app.ts")],
      bundle: true,
      platform: "neutral",
      format: "esm",
      write: false,
      logLevel: "silent",
      mainFields: ["module", "main"],
      conditions: ["worker", "browser", "import"],
      metafile: true,
    });
    const inputs = Object.keys(result.metafile!.inputs);
    expect(inputs.some((f) => f.includes("src/core/app.ts"))).toBe(true);
    expect(
      inputs.filter((f) => f.startsWith("node:") || f.includes("better-sqlite3") || f.includes("sharp")),
    ).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s+["']node:/);
    expect(code).not.toMatch(/require\(["']node:/);
  });
});
