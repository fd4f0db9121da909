import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ParseResult } from "../../src/core/blocks/kinds.js";
import { isHttpUrl, mergeOptions, splitOptions, validateWithRules } from "../../src/core/rules/variants.js";

// A stand-in kind parser: strict, like the real ones, with issues as "path: message".
const kindSchema = z
  .object({
    title: z.string().max(10),
    colors: z.object({ fg: z.string(), bg: z.string() }).strict().optional(),
  })
  .strict();
const parse = (o: unknown): ParseResult => {
  const r = kindSchema.safeParse(o);
  return r.success
    ? { ok: true, options: r.data }
    : { ok: false, issues: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
};
const check = (options: Record<string, unknown>) => validateWithRules(options, parse);

describe("variants: options merge", () => {
  it("merges objects key by key, replaces arrays and scalars, removes keys set to null", () => {
    expect(
      mergeOptions(
        { title: "a", colors: { fg: "#000", bg: "#fff" }, list: [1, 2], gone: 1 },
        { colors: { fg: "#f00" }, list: [3], gone: null },
      ),
    ).toEqual({ title: "a", colors: { fg: "#f00", bg: "#fff" }, list: [3] });
  });

  it("splits the rule keys from the kind's own options", () => {
    const own = { title: "x" };
    expect(splitOptions(own)).toEqual({ base: own, rules: null });
    expect(splitOptions({ ...own, slots: { a: "https://x.example/" } })).toEqual({
      base: own,
      rules: { slots: { a: "https://x.example/" } },
    });
  });
});

describe("variants: validation", () => {
  it("accepts variants whose merged options pass the kind's parser", () => {
    expect(
      check({
        title: "Sale",
        colors: { fg: "#000", bg: "#fff" },
        slots: { cta: "https://shop.example/sale" },
        variants: [
          { name: "outlook", when: { device: "outlook" }, options: { colors: { fg: "#111" } } },
          { name: "red", split: "ab", weight: 1, options: {}, slots: { cta: "https://shop.example/red" } },
          { name: "blue", split: "ab", weight: 2, options: { title: "Blue" } },
        ],
      }),
    ).toEqual({ ok: true });
  });

  it("names the variant index and path when a variant's merged options fail", () => {
    const res = check({
      title: "Sale",
      variants: [
        { name: "ok", options: {} },
        { name: "long", options: { title: "far too long" } },
      ],
    });
    expect(res).toEqual({
      ok: false,
      issues: [expect.stringMatching(/^variants\.1\.options\.title: .*10.* \(variant "long"\)$/)],
    });
    const unknown = check({ title: "Sale", variants: [{ name: "x", options: { colour: "red" } }] });
    expect(!unknown.ok && unknown.issues[0]).toMatch(/^variants\.0\.options: Unrecognized key.*colour/);
  });

  it("checks the rules themselves: names, conditions, slots, nesting", () => {
    const first = (o: Record<string, unknown>) => {
      const r = check({ title: "t", ...o });
      return r.ok ? "" : r.issues[0]!;
    };
    expect(
      first({
        variants: [
          { name: "a", options: {} },
          { name: "a", options: {} },
        ],
      }),
    ).toMatch(/^variants\.1\.name: "a" is used twice/);
    expect(first({ variants: [{ name: "default", options: {} }] })).toMatch(/^variants\.0\.name/);
    expect(first({ variants: [{ name: "a", when: { device: "fax" } }] })).toMatch(
      /^variants\.0\.when\.device/,
    );
    expect(first({ variants: [{ name: "a", options: { variants: [] } }] })).toMatch(
      /^variants\.0\.options: .*nest/,
    );
    expect(first({ variants: [{ name: "a", extra: 1 }] })).toMatch(/^variants\.0: Unrecognized key/);
    expect(first({ variants: [] })).toMatch(/^variants/);
    expect(first({ variants: Array.from({ length: 17 }, (_, i) => ({ name: `v${i}` })) })).toMatch(
      /^variants/,
    );
    expect(first({ slots: { cta: "javascript:alert(1)" } })).toMatch(/^slots\.cta: .*http/);
    expect(first({ slots: { "bad slot": "https://x.example/" } })).toMatch(/^slots/);
    expect(first({ variants: [{ name: "a", slots: { cta: "ftp://x.example/" } }] })).toMatch(
      /^variants\.0\.slots\.cta/,
    );
  });

  it("still reports the kind's own issues first for the base options", () => {
    const r = check({ title: 5, variants: [{ name: "a" }] });
    expect(!r.ok && r.issues[0]).toMatch(/^title: /);
  });
});

describe("slot URLs", () => {
  it("are absolute http(s) URLs without whitespace or control characters", () => {
    expect(isHttpUrl("https://shop.example/a?b=c#d")).toBe(true);
    expect(isHttpUrl("http://shop.example")).toBe(true);
    for (const bad of [
      "javascript:alert(1)",
      "data:text/html,hi",
      "//shop.example/",
      "/relative",
      "https://shop.example/\r\nSet-Cookie: x=1",
      "https://shop.example/ a",
      "mailto:a@b.c",
    ])
      expect(isHttpUrl(bad), bad).toBe(false);
  });
});
