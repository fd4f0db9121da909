import type { App } from "../app-env.js";
import { clientIp, hotHeader, NO_CACHE_HEADERS } from "../http/middleware.js";
import { CAMPAIGN_RE, normalizeRecipient } from "../tracking/recipient.js";

// The smallest valid 1x1 transparent GIF (43 bytes).
export const TRANSPARENT_GIF = new Uint8Array([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
  0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
  0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
]);

const PIXEL_HEADERS = { ...NO_CACHE_HEADERS, "Content-Type": "image/gif", "X-Robots-Tag": "noindex" };

export function registerOpenPixel(app: App): void {
  app.on(["GET", "HEAD"], "/o/:file", (c) => {
    const file = c.req.param("file");
    const campaign = file.endsWith(".gif") ? file.slice(0, -4) : file;
    // Whatever the URL, the answer is the pixel: an email must never show a broken image.
    if (CAMPAIGN_RE.test(campaign)) {
      c.get("services").tracker.hit({
        kind: "open",
        campaign,
        linkId: null,
        recipient: normalizeRecipient(c.req.query("u")),
        method: c.req.method,
        userAgent: hotHeader(c, "user-agent"),
        ip: clientIp(c),
      });
    }
    if (c.req.method === "HEAD") return c.body(null, 200, PIXEL_HEADERS);
    return c.body(TRANSPARENT_GIF, 200, PIXEL_HEADERS);
  });
}
