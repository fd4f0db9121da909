import type { Context } from "hono";
import type { App, AppEnv } from "../app-env.js";
import { clientIp, hotHeader } from "../http/middleware.js";
import { normalizeRecipient } from "../tracking/recipient.js";

// A plain page, not JSON: the person who clicked a dead link sees this. Nothing from the
// request is echoed into it. Adaptive links (adaptive-link.ts) answer with it too.
export const NOT_FOUND_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not found</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222">
<h1>This link is not valid</h1><p>It may have been mistyped or has expired.</p></body></html>`;

async function handleClick(c: Context<AppEnv>) {
  const { links, tracker } = c.get("services");
  const link = await links.resolve(c.req.param("linkId")!);
  if (!link) {
    return c.html(NOT_FOUND_PAGE, 404, { "Cache-Control": "no-store", "X-Robots-Tag": "noindex" });
  }
  tracker.hit({
    kind: "click",
    campaign: link.campaign ?? "",
    linkId: link.id,
    recipient: normalizeRecipient(c.req.query("u")),
    method: c.req.method,
    userAgent: hotHeader(c, "user-agent"),
    ip: clientIp(c),
  });
  // An empty string, not null: Node's adapter answers a string body from its fast path
  // (Content-Length: 0), while a null body builds a full Fetch Response and goes chunked.
  return c.body("", 302, {
    Location: link.url,
    // Every click must reach us to be counted; scanners must not learn a cacheable answer.
    "Cache-Control": "no-store",
    // The tracked URL carries the recipient in `u`: never leak it to the destination.
    "Referrer-Policy": "no-referrer",
  });
}

export function registerClick(app: App): void {
  // HEAD is answered like GET (same status and Location) and counted: link scanners use it.
  app.on(["GET", "HEAD"], "/c/:linkId", handleClick);
}
