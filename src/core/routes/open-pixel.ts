import type { App } from "../app-env.js";
import { clientIp, hotHeader, sendPlain } from "../http/middleware.js";
import { answerOpen } from "../tracking/answers.js";

// Like /c/:linkId, most opens are answered by the runtime's fast path; the same answer here.
export function registerOpenPixel(app: App): void {
  app.on(["GET", "HEAD"], "/o/:file", (c) =>
    sendPlain(
      c,
      answerOpen(c.get("services").tracker, c.req.param("file"), {
        method: c.req.method,
        u: c.req.query("u"),
        userAgent: hotHeader(c, "user-agent"),
        ip: clientIp(c),
      }),
    ),
  );
}
