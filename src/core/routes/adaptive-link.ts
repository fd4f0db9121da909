import type { Context } from "hono";
import type { App, AppEnv } from "../app-env.js";
import { clientIp, sendPlain } from "../http/middleware.js";
import { ADAPTIVE_NOT_FOUND, adaptiveBlock, adaptivePathOk, answerAdaptiveLink } from "../links/adaptive.js";

/**
 * GET /c/:blockId/:slot?u= — the link under a live image goes where that image pointed
 * when this recipient opened it (links/adaptive.ts decides, for this route and for the
 * fast path that answers most of these before the router: tracking/fast-path.ts).
 */
async function handleAdaptiveLink(c: Context<AppEnv>) {
  const s = c.get("services");
  const blockId = c.req.param("blockId")!;
  const slot = c.req.param("slot")!;
  const block = adaptivePathOk(blockId, slot) ? await adaptiveBlock(s, blockId) : null;
  const answer = block
    ? await answerAdaptiveLink(s, block, {
        method: c.req.method,
        slot,
        query: (name) => c.req.query(name),
        userAgent: c.req.header("user-agent") ?? null,
        ip: clientIp(c),
      })
    : ADAPTIVE_NOT_FOUND;
  return sendPlain(c, answer);
}

export function registerAdaptiveLink(app: App): void {
  // HEAD like GET (same status and Location) and counted, as for tracked links.
  app.on(["GET", "HEAD"], "/c/:blockId/:slot", handleAdaptiveLink);
}
