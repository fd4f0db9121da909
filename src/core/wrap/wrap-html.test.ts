import { readdirSync, readFileSync } from "node:fs";
import { parse, parseFragment } from "parse5";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { destinationOf } from "../links/destination.js";
import {
  containsMergeTag,
  DIALECTS,
  type Dialect,
  MAX_DISTINCT_LINKS,
  MAX_HTML_BYTES,
  recipientTag,
  WrapError,
  type WrapOptions,
  type WrapResult,
  wrapHtml,
} from "./index.js";

const FIXTURES = new URL("../../../test/fixtures/emails/", import.meta.url);
const CLICK = "https://ot.example.com/c/";
const PIXEL = "https://ot.example.com/o/spring.gif";

/** A fake link store: deterministic ids L001, L002 … and a log of what was registered. */
function setup(dialect: Dialect, extra: Partial<WrapOptions> = {}) {
  const calls: string[] = [];
  const opts: WrapOptions = {
    campaign: "spring",
    dialect,
    clickUrl: (id) => CLICK + id,
    openPixelUrl: PIXEL,
    register: async (urls) =>
      urls.map((url) => {
        calls.push(url);
        return `L${String(calls.length).padStart(3, "0")}`;
      }),
    ...extra,
  };
  return { calls, opts };
}

const pixelFor = (tag: string) =>
  `<img src="${PIXEL}${tag ? `?u=${tag}` : ""}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;" />`;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const ENTITIES: Record<string, string> = { amp: "&", quot: '"', apos: "'", lt: "<", gt: ">" };
const decode = (s: string) =>
  s.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(amp|quot|apos|lt|gt));/gi, (_m, d, h, n) =>
    d
      ? String.fromCodePoint(Number(d))
      : h
        ? String.fromCodePoint(Number.parseInt(h, 16))
        : ENTITIES[n.toLowerCase()]!,
  );

/** The raw text of the attribute value starting at `at`: quoted (with its quotes) or unquoted. */
function rawValueAt(input: string, at: number): string {
  const q = input[at];
  if (q === '"' || q === "'") return input.slice(at, input.indexOf(q, at + 1) + 1);
  return /^[^\s>]+/.exec(input.slice(at))![0];
}

/**
 * Undoes the wrapping using only what a caller gets back: drop the pixel, then walk the output and
 * replace every written tracked href by the original attribute text found at the same point of the
 * input, checking that the original decodes to the link's registered URL. All bytes in between must
 * match the input exactly, so the return value equals the input only if nothing else was touched.
 */
function unwrap(output: string, input: string, result: WrapResult, pixel: string | null): string {
  let out = output;
  if (pixel) {
    const at = out.lastIndexOf(pixel);
    expect(at).toBeGreaterThanOrEqual(0);
    out = out.slice(0, at) + out.slice(at + pixel.length);
  }
  const written = new Map<string, string>();
  for (const l of result.links) {
    const v = l.trackedUrl.replaceAll("&", "&amp;");
    written.set(`"${v}"`, l.url).set(`'${v}'`, l.url);
  }
  if (written.size === 0) return out;
  let rebuilt = "";
  let from = 0;
  let at = 0;
  for (const m of out.matchAll(new RegExp([...written.keys()].map(escapeRe).join("|"), "g"))) {
    const literal = out.slice(from, m.index);
    expect(input.slice(at, at + literal.length)).toBe(literal);
    at += literal.length;
    const original = rawValueAt(input, at);
    // Registered as its serialisation (links/destination.ts).
    const href = decode(original.replace(/^(["'])([\s\S]*)\1$/, "$2")).trim();
    expect(destinationOf(href)).toBe(written.get(m[0]));
    rebuilt += literal + original;
    at += original.length;
    from = m.index + m[0].length;
  }
  return rebuilt + out.slice(from);
}

/** Every href a client would follow: <a>/<area>, plus any element with href inside `[if …]` comments. */
async function hrefs(html: string, nested = false): Promise<string[]> {
  // An independent reading: parse5's tree builder, not the tokenizer driver under test.
  const found: string[] = [];
  const inner: string[] = [];
  type Node = {
    nodeName: string;
    tagName?: string;
    attrs?: { name: string; value: string }[];
    data?: string;
    childNodes?: Node[];
    content?: Node;
  };
  const walk = (n: Node) => {
    if (n.nodeName === "#comment" && n.data && /^\[if\s/i.test(n.data)) inner.push(n.data);
    if (n.tagName) {
      const href = n.attrs?.find((a) => a.name === "href");
      const link = n.tagName === "a" || n.tagName === "area" || (nested && n.tagName !== "link");
      if (href && link) found.push(href.value);
    }
    for (const c of n.childNodes ?? []) walk(c);
    if (n.content) walk(n.content);
  };
  walk((nested ? parseFragment(html) : parse(html)) as unknown as Node);
  for (const text of inner) found.push(...(await hrefs(text, true)));
  return found;
}

/** Each fixture `x.html` comes with `x.expected.json`: its dialect, wrapped URLs and skipped hrefs. */
interface Case {
  file: string;
  dialect: Dialect;
  wrapped: [url: string, count: number][];
  /** The detail is given for unsubscribe links: which rule matched (unsubscribe.ts). */
  skipped: [reason: string, url: string, detail?: string][];
}

const CASES: Case[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".html"))
  .sort()
  .map((file) => ({
    file,
    ...JSON.parse(readFileSync(new URL(file.replace(/\.html$/, ".expected.json"), FIXTURES), "utf8")),
  }));

it("has the six ESP fixtures", () => {
  expect(CASES.map((c) => c.dialect)).toEqual([
    "hubspot",
    "klaviyo",
    "mailchimp",
    "sendgrid",
    "sendgrid",
    "sfmc",
  ]);
});

describe.each(CASES)("wrapHtml on $file", ({ file, dialect, wrapped, skipped }) => {
  const lf = readFileSync(new URL(file, FIXTURES), "utf8");
  const tag = recipientTag(dialect, "email");
  const variants = { LF: lf, CRLF: lf.replace(/\n/g, "\r\n") };

  it.each(Object.entries(variants))(
    "changes only href values and adds the pixel (%s)",
    async (_name, input) => {
      const { opts } = setup(dialect);
      const r = await wrapHtml(input, opts);
      expect(r.html).not.toBe(input);
      expect(unwrap(r.html, input, r, pixelFor(tag))).toBe(input);
      // The pixel sits immediately before the closing body tag, whatever its case.
      expect(r.html).toMatch(new RegExp(`${escapeRe(pixelFor(tag))}</body>`, "i"));
    },
  );

  it("points every non-skipped http(s) link at the click URL with the dialect tag", async () => {
    const { opts } = setup(dialect);
    const r = await wrapHtml(lf, opts);
    const seen = await hrefs(r.html);
    const tracked = seen.filter((h) => h.startsWith(CLICK));
    const ids = new Set(r.links.map((l) => l.id));
    for (const h of tracked) {
      const m = new RegExp(`^${escapeRe(CLICK)}(L\\d{3})\\?u=${escapeRe(tag)}$`).exec(h);
      expect(m, h).not.toBeNull();
      expect(ids.has(m![1]!)).toBe(true);
    }
    expect(tracked).toHaveLength(wrapped.reduce((n, [, c]) => n + c, 0));
    // Whatever was not wrapped is exactly what was reported as skipped.
    const rest = seen.filter((h) => !h.startsWith(CLICK)).map((h) => h.trim());
    expect(rest.sort()).toEqual(skipped.map(([, u]) => u).sort());
  });

  it("reports each skipped link with its reason", async () => {
    const r = await wrapHtml(lf, setup(dialect).opts);
    expect(r.skipped.map((s) => (s.detail ? [s.reason, s.url, s.detail] : [s.reason, s.url]))).toEqual(
      skipped,
    );
  });

  it("registers each distinct URL once, entity-decoded, with its count", async () => {
    const { opts, calls } = setup(dialect);
    const r = await wrapHtml(lf, opts);
    expect(calls).toEqual(wrapped.map(([u]) => u));
    expect(r.links.map((l) => [l.url, l.count])).toEqual(wrapped);
    for (const l of r.links) {
      expect(l.url).not.toMatch(/&(amp|#38|#x26);/i);
      expect(l.trackedUrl).toBe(`${CLICK}${l.id}?u=${tag}`);
    }
  });

  it("is idempotent", async () => {
    const once = await wrapHtml(lf, setup(dialect).opts);
    const { opts, calls } = setup(dialect);
    const twice = await wrapHtml(once.html, opts);
    expect(twice.html).toBe(once.html);
    expect(twice.links).toEqual([]);
    expect(calls).toEqual([]);
  });
});

describe("wrapHtml details", () => {
  const wrap = (html: string, extra: Partial<WrapOptions> = {}, dialect: Dialect = "none") =>
    wrapHtml(html, setup(dialect, { addOpenPixel: false, ...extra }).opts);

  it("keeps the quoting style, double-quotes unquoted values and escapes the URL", async () => {
    const r = await wrap(`<a href='https://a.example/x'>a</a><A HREF = https://b.example/y>b</A>`);
    expect(r.html).toBe(`<a href='${CLICK}L001'>a</a><A HREF = "${CLICK}L002">b</A>`);
    const clickUrl = (id: string) => `https://t.example/c?c=spring&l=${id}`;
    const braze = recipientTag("braze", "email");
    const q = await wrap(`<a href="https://a.example/">a</a>`, { clickUrl }, "braze");
    expect(q.html).toBe(`<a href="https://t.example/c?c=spring&amp;l=L001&amp;u=${braze}">a</a>`);
    expect(q.links[0]!.trackedUrl).toBe(`https://t.example/c?c=spring&l=L001&u=${braze}`);
  });

  it("uses the id tag, an explicit tag override, or no tag at all", async () => {
    const html = `<a href="https://a.example/">a</a>`;
    expect((await wrap(html, { recipientField: "id" }, "customerio")).links[0]!.trackedUrl).toBe(
      `${CLICK}L001?u={{customer.id}}`,
    );
    expect((await wrap(html, { recipientTag: "[[uid]]" }, "sfmc")).links[0]!.trackedUrl).toBe(
      `${CLICK}L001?u=[[uid]]`,
    );
    expect((await wrap(html)).html).toBe(`<a href="${CLICK}L001">a</a>`);
    // A tag holding a double quote switches the attribute to single quotes rather than being escaped.
    expect((await wrap(html, { recipientTag: `{{ x | default: "a" }}` })).html).toBe(
      `<a href='${CLICK}L001?u={{ x | default: "a" }}'>a</a>`,
    );
  });

  it("places the open pixel once, before the last </body>, or at the end", async () => {
    const opts = { addOpenPixel: true };
    const body = await wrap(`<body><p>a</p></BODY><!-- x --></body>\n`, opts);
    expect(body.html).toBe(`<body><p>a</p></BODY><!-- x -->${pixelFor("")}</body>\n`);
    expect((await wrap(`<p>hi</p>`, opts)).html).toBe(`<p>hi</p>${pixelFor("")}`);
    expect((await wrap(body.html, opts)).html).toBe(body.html);
    expect((await wrap(`<body></body>`)).html).toBe(`<body></body>`);
  });

  it("ignores hrefs the tokenizer does not see as links", async () => {
    const html = [
      `<style>a[href="https://s.example/"]{}</style><title><a href="https://t.example/">x</a></title>`,
      `<textarea><a href="https://ta.example/"></a></textarea><!-- <a href="https://c.example/">old</a> -->`,
      `<link href="https://f.example/css" rel="stylesheet"><base href="https://b.example/">`,
      `<!--[if mso]><link href="https://f.example/mso"><v:oval href="https://v.example/">o</v:oval><![endif]-->`,
    ].join("\n");
    const r = await wrap(html);
    expect(r.links.map((l) => l.url)).toEqual(["https://v.example/"]);
    expect(r.html).toBe(html.replace(`href="https://v.example/"`, `href="${CLICK}L001"`));
  });

  it("classifies schemes, whitespace and skip markers", async () => {
    const r = await wrap(
      [
        `<a href=" JavaScript:alert(1)">`,
        `<a href="ftp://f.example/">`,
        `<a href="//cdn.example/x">`,
        `<a href="http://">`,
        `<a href="">`,
        `<a>`,
        `<a href="https://u.example/opt-out">`,
        `<a href="https://k.example/" data-opentime="skip">`,
        `<a href="https://k.example/" data-no-track>`,
        `<a href="https://ot.example.com/c/OLD">`,
        `<a href="\n\tHttp://w.example/a\n" href="https://second.example/">`,
      ].join(""),
      { skipAttribute: "data-no-track" },
    );
    expect(r.skipped.map((s) => s.reason)).toEqual([
      "javascript",
      "unsupported_scheme",
      "relative",
      "invalid_url",
      "empty",
      "unsubscribe",
      "skip_attribute",
      "skip_attribute",
      "already_tracked",
    ]);
    expect(r.links.map((l) => l.url)).toEqual(["http://w.example/a"]);
  });

  it("leaves conditional-comment markers byte-identical", async () => {
    const html = `<!--[if mso]><v:roundrect href="https://b.example/">b</v:roundrect><![endif]--><![if !mso]><a href="https://b.example/">b</a><![endif]>`;
    const r = await wrap(html);
    expect(r.html).toBe(
      `<!--[if mso]><v:roundrect href="${CLICK}L001">b</v:roundrect><![endif]--><![if !mso]><a href="${CLICK}L001">b</a><![endif]>`,
    );
    expect(r.links).toEqual([
      { id: "L001", url: "https://b.example/", trackedUrl: `${CLICK}L001`, count: 2 },
    ]);
  });

  it("throws WrapError above the size and link limits, before registering anything", async () => {
    await expect(wrap("a".repeat(MAX_HTML_BYTES + 1))).rejects.toMatchObject({ code: "html_too_large" });
    // 2-byte UTF-8 characters: fewer UTF-16 units than the limit, more bytes.
    await expect(wrap("é".repeat(MAX_HTML_BYTES / 2 + 1))).rejects.toBeInstanceOf(WrapError);
    const links = (n: number) =>
      Array.from({ length: n }, (_, i) => `<a href="https://e.example/${i}">x</a>`).join("");
    const { opts, calls } = setup("none");
    const err = await wrapHtml(links(MAX_DISTINCT_LINKS + 1), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrapError);
    expect((err as WrapError).code).toBe("too_many_links");
    expect(calls).toEqual([]);
    expect((await wrap(links(MAX_DISTINCT_LINKS))).links).toHaveLength(MAX_DISTINCT_LINKS);
    const repeated = `<a href="https://e.example/same">x</a>`.repeat(MAX_DISTINCT_LINKS + 500);
    expect((await wrap(repeated)).links).toMatchObject([{ count: MAX_DISTINCT_LINKS + 500 }]);
  });
});

describe("dialects", () => {
  it("exposes a zod-compatible tuple and a tag per dialect and field", () => {
    expect(z.enum(DIALECTS).parse("braze")).toBe("braze");
    expect(recipientTag("mailchimp", "email")).toBe("*|URL:EMAIL|*");
    expect(recipientTag("mailchimp", "id")).toBe("*|UNIQID|*");
    expect(recipientTag("sfmc", "id")).toBe("%%_subscriberkey%%");
    expect(recipientTag("none", "id")).toBe("");
    for (const d of DIALECTS) {
      if (d !== "none") expect(containsMergeTag(recipientTag(d, "id")), d).toBe(true);
    }
  });

  it("detects every ESP's merge-tag syntax but not ordinary URLs", () => {
    for (const s of [
      "*|EMAIL|*",
      "{{ x }}",
      "{% unsubscribe %}",
      "%%emailaddr%%",
      "%%=v(@a)=%%",
      "[[feed.x]]",
      "<%asm_x%>",
    ]) {
      expect(containsMergeTag(`https://a.example/?e=${s}`), s).toBe(true);
    }
    for (const s of [
      "https://a.example/-name-/x",
      "https://a.example/?p=100%25",
      "https://a.example/{x}",
      "50%% off",
    ]) {
      expect(containsMergeTag(s), s).toBe(false);
    }
  });
});
