import type { App } from "../app-env.js";
import { TRACKER_JS } from "../tracker/script.js";

/** FNV-1a over the script: a strong validator computed once, without async crypto. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

const ETAG = `"t-${TRACKER_JS.length.toString(36)}-${fnv1a(TRACKER_JS)}"`;

/**
 * GET /t.js — the browser tracker. Cached by browsers and CDNs for an hour (a new release
 * reaches every visitor within that), then revalidated cheaply with If-None-Match → 304.
 * CORS-open so it can be loaded with `crossorigin` + Subresource Integrity.
 */
export function registerTrackerJs(app: App): void {
  app.get("/t.js", (c) => {
    const headers = {
      "Cache-Control": "public, max-age=3600, stale-while-revalidate=86400",
      ETag: ETAG,
      "Access-Control-Allow-Origin": "*",
      "X-Content-Type-Options": "nosniff",
    };
    const inm = c.req.header("if-none-match");
    if (inm?.split(",").some((t) => t.trim().replace(/^W\//, "") === ETAG)) {
      return c.body(null, 304, headers);
    }
    return c.body(TRACKER_JS, 200, { ...headers, "Content-Type": "text/javascript; charset=utf-8" });
  });
}
