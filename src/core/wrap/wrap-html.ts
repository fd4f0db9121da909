/**
 * Rewrites the links of an email's HTML to go through the click tracker and adds an open pixel.
 *
 * The document is tokenized (parse5), never regex-matched: email HTML is full of unquoted attributes,
 * entities, conditional comments and ESP template syntax that regexes get wrong. Only the byte ranges of
 * the rewritten `href` values change (plus the inserted pixel), so everything the author and the ESP rely
 * on (doctype, whitespace, case, comments, quoting) survives exactly.
 */

import { type Dialect, recipientTag as dialectTag, type RecipientField } from "./dialects.js";
import { type SkipReason, scanLinks } from "./scan-links.js";

export type { SkipReason };

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
  /**
   * Also put the recipient tag on the links and images that already point at opentime
   * (live blocks, adaptive links pasted into the email), in place of any `u`/`us` they had.
   */
  ownUrls?: boolean;
  /**
   * For opentime's own templates: rewrites the raw value of an href that holds template
   * code (skipped as `merge_tag`), e.g. into code that tracks the URL once it is rendered.
   */
  mergeTagHref?: (rawValue: string) => string;
}

export interface WrappedLink {
  id: string;
  url: string;
  trackedUrl: string;
  count: number;
}

/** A link left as it was, and why; `detail` says what matched when that is not obvious. */
export interface SkippedLink {
  url: string;
  reason: SkipReason;
  detail?: string;
}

export interface WrapResult {
  html: string;
  links: WrappedLink[];
  skipped: SkippedLink[];
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

export async function wrapHtml(html: string, opts: WrapOptions): Promise<WrapResult> {
  if (utf8Length(html) > MAX_HTML_BYTES) {
    throw new WrapError("html_too_large", `HTML is larger than ${MAX_HTML_BYTES} bytes`);
  }
  const tag = opts.recipientTag ?? dialectTag(opts.dialect, opts.recipientField ?? "email");
  const scan = scanLinks(html, {
    // Links already on the tracker's host are ours (idempotence). An invalid clickUrl throws here.
    clickHost: new URL(opts.clickUrl("probe")).host.toLowerCase(),
    pixelUrl: opts.openPixelUrl,
    skipAttrs: new Set(
      [opts.skipAttribute ?? "data-opentime-skip", "data-opentime-skip", "data-ot-skip"].map((a) =>
        a.toLowerCase(),
      ),
    ),
    ownUrls: !!(opts.ownUrls && tag),
    mergeTags: !!opts.mergeTagHref,
  });

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
  for (const r of scan.rewrites) {
    const quote = r.quote || '"';
    const text =
      r.kind === "own" ? quotedValue(r.value, tag, quote) : quote + opts.mergeTagHref!(r.value) + quote;
    splices.push({ start: r.start, end: r.end, text });
  }
  if ((opts.addOpenPixel ?? true) && !scan.pixelFound) {
    const at = scan.bodyEnd >= 0 ? scan.bodyEnd : html.length;
    splices.push({ start: at, end: at, text: pixelTag(opts.openPixelUrl, tag) });
  }
  splices.sort((a, b) => a.start - b.start);
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
    skipped: scan.skipped.map(({ offset: _, ...skipped }) => skipped),
  };
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
