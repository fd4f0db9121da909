/**
 * Finds an email's links with their exact source ranges, and decides for each whether it is
 * wrapped (its destination) or left alone (and why). wrap-html.ts then splices the edits in.
 *
 * An `<a>` is decided at its end, once its text is known: an unsubscribe link is often told
 * only by what it says ("Manage preferences" pointing at an account page) or by a marker on
 * it or around it (unsubscribe.ts).
 */
import { destinationOf } from "../links/destination.js";
import { table } from "../util/dict.js";
import { containsMergeTag } from "./dialects.js";
import { type StartTag, tokenize } from "./tokenize.js";
import {
  unsubscribeMarker,
  unsubscribeSection,
  unsubscribeTag,
  unsubscribeText,
  unsubscribeUrl,
} from "./unsubscribe.js";

export type SkipReason =
  | "skip_attribute"
  | "empty"
  | "anchor"
  | "mailto"
  | "tel"
  | "sms"
  | "javascript"
  | "unsupported_scheme"
  | "relative"
  | "already_tracked"
  | "unsubscribe"
  | "merge_tag"
  | "invalid_url";

/** A href value to replace: [start, end) covers the value including its quotes, if any. */
export interface Edit {
  start: number;
  end: number;
  quote: '"' | "'" | "";
  url: string;
}

export interface Skip {
  offset: number;
  url: string;
  reason: SkipReason;
  detail?: string;
}

/** An attribute value that is not wrapped but rewritten (ownUrls, mergeTags): its range and content. */
export interface Rewrite {
  start: number;
  end: number;
  quote: Edit["quote"];
  /** ownUrls: an opentime URL without its `u`/`us`; mergeTags: the raw attribute value. */
  value: string;
  kind: "own" | "merge_tag";
}

export interface Scan {
  edits: Edit[];
  skipped: Skip[];
  rewrites: Rewrite[];
  pixelFound: boolean;
  bodyEnd: number;
}

export interface ScanOptions {
  /** Links already on the tracker's host are ours (idempotence). */
  clickHost: string;
  pixelUrl: string;
  skipAttrs: ReadonlySet<string>;
  /** Also report opentime's own URLs (links and images), to get the recipient tag (wrap-html.ts). */
  ownUrls?: boolean;
  /** Also report the raw values of hrefs holding template code (skipped as merge_tag). */
  mergeTags?: boolean;
}

type Span = { startOffset: number; endOffset: number };
type AttrSpans = Span & { attrs?: Record<string, Span> };
export type Verdict = { skip: SkipReason; detail?: string } | { destination: string };

/** A link found, decided when its element ends (an `<a>`) or at once (other elements). */
interface Found {
  offset: number;
  url: string;
  verdict: Verdict;
  range: { start: number; end: number; quote: Edit["quote"] } | null;
  /** The raw attribute value, as written (for a merge_tag rewrite). */
  raw: string;
  /** A marker on the link or its section (unsubscribe.ts, rule 3). */
  marker: string | null;
  /** Its text so far (bounded) and its labels, for unsubscribe.ts's rule 4. */
  text: string;
  labels: string[];
}

const NOT_LINKS: ReadonlySet<string> = new Set(["link", "base"]);
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const NAMED_SCHEMES = table<SkipReason>({
  mailto: "mailto",
  tel: "tel",
  sms: "sms",
  javascript: "javascript",
});
// Outlook's downlevel-hidden block: `<!--[if mso]> … <![endif]-->`. Only these comments are rendered by
// some client; ordinary comments hold commented-out markup that must stay untouched.
const CONDITIONAL_COMMENT = /^<!--\[if\s[^\]]*\]>[\s\S]*-->$/i;
/**
 * Elements that may mark an unsubscribe section: ones whose end tag HTML requires, so the
 * section ends where its author ended it (a <td> or <p> left open would run to the end).
 */
const SECTIONS: ReadonlySet<string> = new Set(["div", "table", "section", "span", "center"]);
/** A link's text kept for its verdict: labels are short, and a long one says nothing more. */
const MAX_TEXT = 200;
/** Reasons a link's text or marker may turn into "unsubscribe" (the rest are left alone anyway). */
const RECONSIDERED: ReadonlySet<SkipReason> = new Set(["merge_tag", "relative", "invalid_url"]);

export function scanLinks(source: string, opts: ScanOptions): Scan {
  const scan: Scan = { edits: [], skipped: [], rewrites: [], pixelFound: false, bodyEnd: -1 };
  scanRange(source, opts, 0, source.length, false, null, scan);
  // Conditional comments are scanned after the main pass, so restore document order.
  scan.edits.sort((a, b) => a.start - b.start);
  scan.skipped.sort((a, b) => a.offset - b.offset);
  scan.rewrites.sort((a, b) => a.start - b.start);
  return scan;
}

/**
 * Tokenizes source[from, to) and records its links; recurses into Outlook conditional
 * comments. `section` is the unsubscribe section the range sits in (a comment inside one).
 */
function scanRange(
  source: string,
  opts: ScanOptions,
  from: number,
  to: number,
  nested: boolean,
  section: string | null,
  scan: Scan,
): void {
  const src = source.slice(from, to);
  const comments: [number, number, string | null][] = [];
  let open: Found | null = null;
  // The innermost unsubscribe section: its element's name and how deep it is nested in itself.
  let inSection: { tag: string; depth: number; reason: string } | null = null;
  const sectionReason = () => inSection?.reason ?? section;
  const close = () => {
    if (open) decide(open, opts, scan);
    open = null;
  };
  tokenize(src, {
    startTag: (t) => {
      if (inSection && t.tagName === inSection.tag && !t.selfClosing) inSection.depth++;
      if (t.tagName === "a") close(); // an <a> inside an <a> closes it, as parsers do
      if (t.tagName === "img") {
        const img = attrOf(t);
        if (img("src")?.trim().startsWith(opts.pixelUrl)) scan.pixelFound = true;
        if (open) open.text = addText(open.text, img("alt"));
        if (opts.ownUrls) ownImage(t, src, from, opts, scan);
        return;
      }
      const found = linkOf(t, src, from, nested, opts, sectionReason());
      if (found) {
        if (t.tagName === "a" && !t.selfClosing) open = found;
        else decide(found, opts, scan);
      }
      const reason =
        inSection || t.selfClosing || !SECTIONS.has(t.tagName) ? null : unsubscribeSection(attrOf(t));
      if (reason) inSection = { tag: t.tagName, depth: 1, reason };
    },
    endTag: (t) => {
      if (t.tagName === "a") close();
      if (inSection && t.tagName === inSection.tag && --inSection.depth === 0) inSection = null;
      // The pixel goes before the last `</body>` the tokenizer sees (not one inside a comment or <style>).
      if (!nested && t.tagName === "body" && t.sourceCodeLocation)
        scan.bodyEnd = from + t.sourceCodeLocation.startOffset;
    },
    text: (chars) => {
      if (open) open.text = addText(open.text, chars);
    },
    comment: (c) => {
      const loc = c.sourceCodeLocation;
      // The comment's own text is newline-normalised by the tokenizer; recurse on the raw source
      // between `<!--` and `-->` instead, so offsets stay exact.
      if (loc && CONDITIONAL_COMMENT.test(src.slice(loc.startOffset, loc.endOffset))) {
        comments.push([from + loc.startOffset + 4, from + loc.endOffset - 3, sectionReason()]);
      }
    },
  });
  close();
  for (const [start, end, within] of comments) scanRange(source, opts, start, end, true, within, scan);
}

/** The link a start tag is, if any: its href, range and what is known of it so far. */
function linkOf(
  t: StartTag,
  src: string,
  base: number,
  nested: boolean,
  opts: ScanOptions,
  section: string | null,
): Found | null {
  // Inside `[if mso]` the links are VML shapes (v:roundrect, v:rect …) as often as <a>; <link> and
  // <base> carry an href too but are not clickable.
  const isLink = t.tagName === "a" || t.tagName === "area" || (nested && !NOT_LINKS.has(t.tagName));
  if (!isLink) return null;
  const attr = attrOf(t);
  const href = attr("href");
  // parse5 records per-attribute spans on start tags, but the SAX typings declare a plain Location.
  const loc = (t.sourceCodeLocation as AttrSpans | null | undefined)?.attrs?.href;
  if (href === undefined || !loc) return null;
  const url = href.trim();
  const range = valueRange(src, loc.startOffset, loc.endOffset);
  const marked =
    t.attrs.some((a) => opts.skipAttrs.has(a.name)) || /^\s*skip\s*$/i.test(attr("data-opentime") ?? "");
  return {
    offset: base + loc.startOffset,
    url,
    verdict: marked ? { skip: "skip_attribute" } : classify(url, opts.clickHost),
    range: range && { ...range, start: base + range.start, end: base + range.end },
    raw: range ? src.slice(range.start + range.quote.length, range.end - range.quote.length) : "",
    marker: unsubscribeMarker(attr) ?? section,
    text: "",
    // Labels a client or screen reader shows for the link; SFMC names its links with `alias`.
    labels: ["title", "aria-label", "alt", "alias"].flatMap((n) => attr(n) ?? []),
  };
}

/** Records a link as an edit or a skip, its marker and text considered. */
function decide(f: Found, opts: ScanOptions, scan: Scan): void {
  let v = f.verdict;
  if ("destination" in v || RECONSIDERED.has(v.skip)) {
    const why =
      f.marker ?? [f.text, ...f.labels].reduce<string | null>((w, t) => w ?? unsubscribeText(t), null);
    if (why) v = { skip: "unsubscribe", detail: why };
  }
  if ("destination" in v && f.range) {
    scan.edits.push({ start: f.range.start, end: f.range.end, quote: f.range.quote, url: v.destination });
    return;
  }
  const skip = "destination" in v ? { skip: "empty" as const } : v;
  if (f.range && skip.skip === "already_tracked" && opts.ownUrls) {
    const own = ownUrl(f.url, opts.clickHost);
    if (own) scan.rewrites.push({ ...f.range, value: own, kind: "own" });
  }
  if (f.range && skip.skip === "merge_tag" && opts.mergeTags)
    scan.rewrites.push({ ...f.range, value: f.raw, kind: "merge_tag" });
  scan.skipped.push({
    offset: f.offset,
    url: f.url,
    reason: skip.skip,
    ...(skip.detail ? { detail: skip.detail } : {}),
  });
}

/** An image whose src is one of opentime's own URLs (a live block): reported for the recipient tag. */
function ownImage(t: StartTag, src: string, base: number, opts: ScanOptions, scan: Scan): void {
  const loc = (t.sourceCodeLocation as AttrSpans | null | undefined)?.attrs?.src;
  const value = attrOf(t)("src")?.trim();
  const own = value && ownUrl(value, opts.clickHost);
  const range = own && loc && valueRange(src, loc.startOffset, loc.endOffset, "src");
  if (own && range)
    scan.rewrites.push({
      start: base + range.start,
      end: base + range.end,
      quote: range.quote,
      value: own,
      kind: "own",
    });
}

/** An http(s) URL on opentime's own host, without the `u` and `us` it had; else null. */
function ownUrl(value: string, clickHost: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (!/^https?:$/.test(url.protocol) || url.host.toLowerCase() !== clickHost) return null;
  url.searchParams.delete("u");
  url.searchParams.delete("us");
  return url.href;
}

/**
 * Why a (decoded, trimmed) href is left alone, or the destination to register for an absolute
 * http(s) URL to wrap: its serialisation, as every link is stored (links/destination.ts).
 */
export function classify(url: string, clickHost: string): Verdict {
  if (url === "") return { skip: "empty" };
  if (url.startsWith("#")) return { skip: "anchor" };
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  const named = scheme && NAMED_SCHEMES[scheme];
  if (named) return { skip: named };
  const http = scheme === "http" || scheme === "https";
  let parsed: URL | null = null;
  if (http) {
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
  }
  // Checked before the merge-tag rule: our own tracked links carry the recipient tag.
  if (parsed && parsed.host.toLowerCase() === clickHost) return { skip: "already_tracked" };
  const unsubscribe = unsubscribeTag(url) ?? (parsed && unsubscribeUrl(parsed));
  if (unsubscribe) return { skip: "unsubscribe", detail: unsubscribe };
  // A registered link is frozen; per-recipient tags in it would never be substituted.
  if (containsMergeTag(url)) return { skip: "merge_tag" };
  if (!scheme) return { skip: "relative" };
  if (!http) return { skip: "unsupported_scheme" };
  const destination = parsed && destinationOf(url);
  return destination ? { destination } : { skip: "invalid_url" };
}

/** Reads one attribute of a start tag (names are lowercase). */
function attrOf(t: StartTag): (name: string) => string | undefined {
  return (name) => t.attrs.find((a) => a.name === name)?.value;
}

function addText(text: string, more: string | undefined): string {
  return more && text.length < MAX_TEXT ? `${text} ${more}`.slice(0, MAX_TEXT) : text;
}

/**
 * Locates the value inside an attribute's source span (`name = "value"`), which the tokenizer reports
 * as one range. Returns the value's range including quotes, or null for a valueless attribute.
 */
function valueRange(src: string, start: number, end: number, name = "href"): Found["range"] {
  let i = start + name.length;
  while (i < end && isSpace(src.charCodeAt(i))) i++;
  if (src[i] !== "=") return null;
  i++;
  while (i < end && isSpace(src.charCodeAt(i))) i++;
  const q = src[i];
  if ((q === '"' || q === "'") && src[end - 1] === q && end - i >= 2) return { start: i, end, quote: q };
  return i < end ? { start: i, end, quote: "" } : null;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}
