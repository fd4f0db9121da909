import type { Context } from "hono";
import type { App, AppEnv } from "../app-env.js";
import { clientIp, hotHeader, sendPlain } from "../http/middleware.js";
import { answerClick } from "../tracking/answers.js";

// The runtime's fast path (tracking/fast-path.ts) answers most clicks before the router;
// this route answers the rest (links not in memory yet, encoded ids) the same way.
async function handleClick(c: Context<AppEnv>) {
  const { links, tracker } = c.get("services");
  const link = await links.resolve(c.req.param("linkId")!);
  return sendPlain(
    c,
    answerClick(tracker, link, {
      method: c.req.method,
      u: c.req.query("u"),
      userAgent: hotHeader(c, "user-agent"),
      ip: clientIp(c),
    }),
  );
}

export function registerClick(app: App): void {
  // HEAD is answered like GET (same status and Location) and counted: link scanners use it.
  app.on(["GET", "HEAD"], "/c/:linkId", handleClick);
}
