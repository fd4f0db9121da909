/**
 * Rewrites the links of an email's HTML to go through the click tracker and adds an open pixel.
 *
 * The document is tokenized (parse5), never regex-matched: email HTML is full of unquoted attributes,
 * entities, conditional comments and ESP template syntax that regexes get wrong. Only the byte ranges of
 * the rewritten `href` values change (plus the inserted pixel), so everything the author and the ESP rely
 * on (doctype, whitespace, case, comments, quoting) survives exactly.
 */

import { table } from "../util/dict.js";
import {
  containsMergeTag,
  type Dialect,
  recipientTag as dialectTag,
  isUnsubscribeTag,
  type RecipientField,
} from "./dialects.js";
import { type StartTag, tokenize } from "./tokenize.js";

export const MAX_HTML_BYTES = 2 * 1024 * 1024;
export const MAX_DISTINCT_LINKS = 2000;

export interface WrapOptions {
  campaign: string;
  dialect: Dialect;
  /** Which recipient attribute the merge tag carries; default "email". */
  recipientField?: RecipientField;
  /** Overrides the dialect's tag; "" disables the `u` parameter. */
  recipientTag?: string;
  clickUrl: (linkId: string) => string;
  openPixelUrl: string;
  /** Registers the distinct destinations (once, all together) and returns their link ids in order. */
  register: (urls: string[]) => Promise<string[]>;
  /** Default "data-opentime-skip"; data-ot-skip and data-opentime="skip" are always honoured. */
  skipAttribute?: string;
  addOpenPixel?: boolean;
}

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

export interface WrappedLink {
  id: string;
  url: string;
  trackedUrl: string;
  count: number;
}

export interface WrapResult {
  html: string;
  links: WrappedLink[];
  skipped: { url: string; reason: SkipReason }[];
}

export type WrapErrorCode = "html_too_large" | "too_many_links";

export class WrapError extends Error {
  readonly code: WrapErrorCode;
  constructor(code: WrapErrorCode, message: string) {
    super(message);
    this.name = "WrapError";
    this.code = code;
  }
}

/** A href value to replace: [start, end) covers the value including its quotes, if any. */
interface Edit {
  start: number;
  end: number;
  quote: '"' | "'" | "";
  url: string;
}

interface Scan {
  edits: Edit[];
  skipped: { offset: number; url: string; reason: SkipReason }[];
  pixelFound: boolean;
  bodyEnd: number;
}

type Span = { startOffset: number; endOffset: number };
type AttrSpans = Span & { attrs?: Record<string, Span> };

interface Ctx {
  source: string;
  clickHost: string;
  pixelUrl: string;
  skipAttrs: ReadonlySet<string>;
}

const UNSUBSCRIBE_URL = /unsub|opt-?out|optout|preferences|list-manage\.com\/unsubscribe/i;
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

export async function wrapHtml(html: string, opts: WrapOptions): Promise<WrapResult> {
  if (utf8Length(html) > MAX_HTML_BYTES) {
    throw new WrapError("html_too_large", `HTML is larger than ${MAX_HTML_BYTES} bytes`);
  }
  const tag = opts.recipientTag ?? dialectTag(opts.dialect, opts.recipientField ?? "email");
  const ctx: Ctx = {
    source: html,
    // Links already on the tracker's host are ours (idempotence). An invalid clickUrl throws here.
    clickHost: new URL(opts.clickUrl("probe")).host.toLowerCase(),
    pixelUrl: opts.openPixelUrl,
    skipAttrs: new Set(
      [opts.skipAttribute ?? "data-opentime-skip", "data-opentime-skip", "data-ot-skip"].map((a) =>
        a.toLowerCase(),
      ),
    ),
  };
  const scan: Scan = { edits: [], skipped: [], pixelFound: false, bodyEnd: -1 };
  await scanRange(ctx, 0, html.length, false, scan);
  // Conditional comments are scanned after the main pass, so restore document order.
  scan.edits.sort((a, b) => a.start - b.start);
  scan.skipped.sort((a, b) => a.offset - b.offset);

  // Count and bound before registering anything, so an oversized template leaves no orphan links behind.
  const counts = new Map<string, number>();
  for (const e of scan.edits) counts.set(e.url, (counts.get(e.url) ?? 0) + 1);
  if (counts.size > MAX_DISTINCT_LINKS) {
    throw new WrapError(
      "too_many_links",
      `${counts.size} distinct links; the limit is ${MAX_DISTINCT_LINKS}`,
    );
  }
  const links = new Map<string, WrappedLink>();
  const urls = [...counts.keys()];
  const ids = urls.length ? await opts.register(urls) : [];
  urls.forEach((url, i) => {
    const id = ids[i]!;
    links.set(url, { id, url, trackedUrl: withRecipient(opts.clickUrl(id), tag), count: counts.get(url)! });
  });

  // Splice the new values (and the pixel) into the untouched source, in document order.
  const splices = scan.edits.map((e) => ({
    start: e.start,
    end: e.end,
    text: quotedValue(opts.clickUrl(links.get(e.url)!.id), tag, e.quote || '"'),
  }));
  if ((opts.addOpenPixel ?? true) && !scan.pixelFound) {
    const at = scan.bodyEnd >= 0 ? scan.bodyEnd : html.length;
    splices.push({ start: at, end: at, text: pixelTag(opts.openPixelUrl, tag) });
    splices.sort((a, b) => a.start - b.start);
  }
  let out = "";
  let pos = 0;
  for (const sp of splices) {
    out += html.slice(pos, sp.start) + sp.text;
    pos = sp.end;
  }
  out += html.slice(pos);
  return {
    html: out,
    links: [...links.values()],
    skipped: scan.skipped.map(({ url, reason }) => ({ url, reason })),
  };
}

/** Tokenizes source[from, to) and records edits; recurses into Outlook conditional comments. */
async function scanRange(ctx: Ctx, from: number, to: number, nested: boolean, scan: Scan): Promise<void> {
  const src = ctx.source.slice(from, to);
  const comments: [number, number][] = [];
  tokenize(src, {
    startTag: (t) => onStartTag(ctx, src, from, nested, t, scan),
    comment: (c) => {
      const loc = c.sourceCodeLocation;
      // The comment's own text is newline-normalised by the tokenizer; recurse on the raw source
      // between `<!--` and `-->` instead, so offsets stay exact.
      if (loc && CONDITIONAL_COMMENT.test(src.slice(loc.startOffset, loc.endOffset))) {
        comments.push([from + loc.startOffset + 4, from + loc.endOffset - 3]);
      }
    },
    // The pixel goes before the last `</body>` the tokenizer sees (not one inside a comment or <style>).
    endTag: nested
      ? undefined
      : (t) => {
          if (t.tagName === "body" && t.sourceCodeLocation)
            scan.bodyEnd = from + t.sourceCodeLocation.startOffset;
        },
  });
  for (const [start, end] of comments) await scanRange(ctx, start, end, true, scan);
}

function onStartTag(ctx: Ctx, src: string, base: number, nested: boolean, t: StartTag, scan: Scan): void {
  if (t.tagName === "img") {
    const img = t.attrs.find((a) => a.name === "src");
    if (img?.value.trim().startsWith(ctx.pixelUrl)) scan.pixelFound = true;
    return;
  }
  // Inside `[if mso]` the links are VML shapes (v:roundrect, v:rect …) as often as <a>; <link> and
  // <base> carry an href too but are not clickable.
  const isLink = t.tagName === "a" || t.tagName === "area" || (nested && !NOT_LINKS.has(t.tagName));
  if (!isLink) return;
  const href = t.attrs.find((a) => a.name === "href");
  // parse5 records per-attribute spans on start tags, but the SAX typings declare a plain Location.
  const loc = (t.sourceCodeLocation as AttrSpans | null | undefined)?.attrs?.href;
  if (!href || !loc) return;
  const offset = base + loc.startOffset;
  const url = href.value.trim();
  const marked = t.attrs.some(
    (a) => ctx.skipAttrs.has(a.name) || (a.name === "data-opentime" && /^\s*skip\s*$/i.test(a.value)),
  );
  const range = valueRange(src, loc.startOffset, loc.endOffset);
  const reason = marked ? "skip_attribute" : (classify(url, ctx.clickHost) ?? (range ? null : "empty"));
  if (reason || !range) {
    scan.skipped.push({ offset, url, reason: reason ?? "empty" });
    return;
  }
  scan.edits.push({ start: base + range.start, end: base + range.end, quote: range.quote, url });
}

/** Why a (decoded, trimmed) href is left alone, or null when it is an absolute http(s) URL to wrap. */
function classify(url: string, clickHost: string): SkipReason | null {
  if (url === "") return "empty";
  if (url.startsWith("#")) return "anchor";
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme && NAMED_SCHEMES[scheme]) return NAMED_SCHEMES[scheme];
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
  if (parsed && parsed.host.toLowerCase() === clickHost) return "already_tracked";
  if (UNSUBSCRIBE_URL.test(url) || isUnsubscribeTag(url)) return "unsubscribe";
  // A registered link is frozen; per-recipient tags in it would never be substituted.
  if (containsMergeTag(url)) return "merge_tag";
  if (!scheme) return "relative";
  if (!http) return "unsupported_scheme";
  return parsed ? null : "invalid_url";
}

/**
 * Locates the value inside an attribute's source span (`name = "value"`), which the tokenizer reports
 * as one range. Returns the value's range including quotes, or null for a valueless attribute.
 */
function valueRange(
  src: string,
  start: number,
  end: number,
): { start: number; end: number; quote: Edit["quote"] } | null {
  let i = start + "href".length;
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

/** `url` plus the recipient parameter; the tag is never URL-encoded (the ESP must still see it). */
function withRecipient(url: string, tag: string): string {
  return tag ? `${url}${url.includes("?") ? "&" : "?"}u=${tag}` : url;
}

/**
 * A quoted attribute value for `url` + tag. The URL part is HTML-escaped. The tag is template code the
 * ESP substitutes before any client parses the HTML, so escaping `&` inside it would break the ESP's own
 * parser: it is written verbatim, using the other quote character if it contains the preferred one
 * (only a tag holding both quote kinds gets one escaped, the one case that cannot be written raw).
 */
function quotedValue(url: string, tag: string, preferred: '"' | "'"): string {
  const other = preferred === '"' ? "'" : '"';
  const q = tag.includes(preferred) && !tag.includes(other) ? other : preferred;
  const entity = q === '"' ? "&quot;" : "&#39;";
  const esc = url.replaceAll("&", "&amp;").replaceAll(q, entity);
  const tail = tag ? `${url.includes("?") ? "&amp;" : "?"}u=${tag.replaceAll(q, entity)}` : "";
  return q + esc + tail + q;
}

function pixelTag(pixelUrl: string, tag: string): string {
  const src = quotedValue(pixelUrl, tag, '"');
  return `<img src=${src} width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;" />`;
}

/** UTF-8 byte length without allocating an encoded copy of a possibly huge string. */
function utf8Length(s: string): number {
  if (s.length > MAX_HTML_BYTES) return s.length; // every UTF-16 unit is at least one UTF-8 byte
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else n += 3;
  }
  return n;
}
