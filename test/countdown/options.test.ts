import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countdownOptionsSchema, parseCountdownOptions } from "../../src/core/countdown/index.js";

const ok = { deadline: "2026-12-24T18:00:00+01:00" };

describe("countdownOptionsSchema", () => {
  it("fills defaults", () => {
    const o = countdownOptionsSchema.parse(ok);
    expect(o).toMatchObject({
      width: 600,
      height: 120,
      frames: 60,
      layout: "boxes",
      locale: "en",
      separator: ":",
      scale: 1,
    });
  });

  it("accepts every documented shape", () => {
    for (const extra of [
      { deadline: { local: "2026-12-24T18:00", timeZone: "Europe/Berlin" } },
      { deadline: "2026-12-24T17:00:00.5Z" },
      { units: "hours-only" },
      { units: ["minutes", "seconds"] },
      { background: "transparent", digitColor: "#abc", labelColor: "#11223344" },
      { separator: "" },
      { expiredText: "Sale over", expiredImage: "offer-ended.png" },
      { width: 50, height: 20, frames: 1 },
      { width: 1200, height: 600, frames: 120, scale: 2 },
    ]) {
      expect(countdownOptionsSchema.safeParse({ ...ok, ...extra }).success, JSON.stringify(extra)).toBe(true);
    }
  });

  const bad: Record<string, unknown>[] = [
    { deadline: "2026-12-24T18:00:00" }, // no offset: ambiguous
    { deadline: "tomorrow" },
    { deadline: "2026-13-45T18:00:00Z" },
    { deadline: { local: "2026-12-24T18:00", timeZone: "Mars/Olympus" } },
    { deadline: { local: "2026-12-24 18:00", timeZone: "Europe/Berlin" } },
    { width: 49 },
    { width: 1201 },
    { width: 600.5 },
    { height: 19 },
    { height: 601 },
    { frames: 0 },
    { frames: 121 },
    { background: "red" },
    { digitColor: "#12" },
    { digitColor: "transparent" },
    { labelColor: "#1234567" },
    { matte: "transparent" },
    { font: "x".repeat(41) },
    { font: "" },
    { units: [] },
    { units: ["days", "days"] },
    { units: ["weeks"] },
    { units: "minutes-only" },
    { locale: "xx" },
    { separator: "::::" },
    { layout: "grid" },
    { scale: 3 },
    { labels: "yes" },
    { expiredText: "x".repeat(41) },
    { expiredImage: "../secret.png" },
    { expiredImage: "/etc/passwd.png" },
    { expiredImage: "banner.svg" },
    { unknownOption: 1 },
  ];
  for (const b of bad) {
    it(`rejects ${JSON.stringify(b)}`, () => {
      expect(countdownOptionsSchema.safeParse({ ...ok, ...b }).success).toBe(false);
    });
  }

  it("checks the font against the fonts the server has", () => {
    expect(parseCountdownOptions({ ...ok, font: "Lato-Bold" }, ["Lato-Bold"]).ok).toBe(true);
    const r = parseCountdownOptions({ ...ok, font: "Comic" }, ["Lato-Bold"]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues[0]).toContain("font");
    expect(parseCountdownOptions({ ...ok, width: 5 }, ["Roboto-Bold"]).ok).toBe(false);
  });
});

describe("core purity", () => {
  it("src/core/countdown imports no node:* module and no native package", () => {
    const dir = join(import.meta.dirname, "../../src/core/countdown");
    for (const f of readdirSync(dir)) {
      const src = readFileSync(join(dir, f), "utf8");
      const imports = [...src.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1] as string);
      for (const i of imports)
        expect(i.startsWith(".") || i === "zod" || i === "omggif", `${f}: ${i}`).toBe(true);
    }
  });
});
