import { destinationOf } from "../links/destination.js";
import type { LinkRecord } from "../ports/index.js";
import { CAMPAIGN_RE, normalizeRecipient } from "./recipient.js";
import type { Tracker } from "./track.js";

/**
 * What /c/:linkId and /o/:file answer, as plain data: one behaviour for the Hono routes
 * (routes/click.ts, routes/open-pixel.ts) and the runtime fast path (fast-path.ts), which
 * serve the same requests.
 */
export interface PlainResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** null: no body (HEAD, or a 302's empty one). */
  body: string | Uint8Array | null;
}

/** The request fields a tracked hit needs; `u` raw, as decoded from the query. */
export interface HitRequest {
  method: string;
  u: string | undefined;
  userAgent: string | null;
  ip: string | null;
}

// A plain page, not JSON: the person who clicked a dead link sees this. Nothing from the
// request is echoed into it. Adaptive links (adaptive-link.ts) answer with it too.
export const NOT_FOUND_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not found</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222">
<h1>This link is not valid</h1><p>It may have been mistyped or has expired.</p></body></html>`;

const NOT_FOUND_HEADERS = {
  "Content-Type": "text/html; charset=UTF-8",
  "Cache-Control": "no-store",
  "X-Robots-Tag": "noindex",
} as const;

/** Headers that keep Gmail's and Yahoo's image proxies (and any CDN) from caching live content. */
export const NO_CACHE_HEADERS: Readonly<Record<string, string>> = {
  "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0, private",
  Pragma: "no-cache",
  Expires: "-1",
};

// The smallest valid 1x1 transparent GIF (43 bytes).
export const TRANSPARENT_GIF = new Uint8Array([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
  0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
  0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
]);

const PIXEL_HEADERS = { ...NO_CACHE_HEADERS, "Content-Type": "image/gif", "X-Robots-Tag": "noindex" };

const NOT_FOUND: PlainResponse = { status: 404, headers: NOT_FOUND_HEADERS, body: NOT_FOUND_PAGE };

/**
 * A tracked link's answer: its 302 (the hit recorded), or the not-found page for anything
 * unregistered or whose stored destination no redirect can carry.
 */
export function answerClick(tracker: Tracker, link: LinkRecord | null, req: HitRequest): PlainResponse {
  const headers = link && redirectHeaders(link);
  if (!link || !headers) return NOT_FOUND;
  tracker.hit({
    kind: "click",
    campaign: link.campaign ?? "",
    linkId: link.id,
    recipient: normalizeRecipient(req.u),
    method: req.method,
    userAgent: req.userAgent,
    ip: req.ip,
  });
  return { status: 302, headers, body: null };
}

// One headers object per link, kept with it: a click allocates none, and an adapter can
// keep what it derives from the object (fast-listener.ts keeps it with its length). null:
// a destination an older version stored as written that no URL can be made of.
const redirects = new WeakMap<LinkRecord, Readonly<Record<string, string>> | null>();
function redirectHeaders(link: LinkRecord): Readonly<Record<string, string>> | null {
  let h = redirects.get(link);
  if (h === undefined) {
    // Normalised again: rows stored before registration normalised them may not be.
    const location = destinationOf(link.url);
    h =
      location === null
        ? null
        : {
            Location: location,
            // Every click must reach us to be counted; scanners must not learn a cacheable answer.
            "Cache-Control": "no-store",
            // The tracked URL carries the recipient in `u`: never leak it to the destination.
            "Referrer-Policy": "no-referrer",
          };
    redirects.set(link, h);
  }
  return h;
}

/** The open pixel for `/o/<file>`: always the GIF (an email must never show a broken image). */
export function answerOpen(tracker: Tracker, file: string, req: HitRequest): PlainResponse {
  const campaign = file.endsWith(".gif") ? file.slice(0, -4) : file;
  if (CAMPAIGN_RE.test(campaign)) {
    tracker.hit({
      kind: "open",
      campaign,
      linkId: null,
      recipient: normalizeRecipient(req.u),
      method: req.method,
      userAgent: req.userAgent,
      ip: req.ip,
    });
  }
  return { status: 200, headers: PIXEL_HEADERS, body: req.method === "HEAD" ? null : TRANSPARENT_GIF };
}
