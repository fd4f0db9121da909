import type { App } from "../app-env.js";
import { parseParams } from "../http/validate.js";
import { pageQuery, sendingOf, sendView } from "./templates-shared.js";

/** GET /v1/dead-letters — dead letters, newest first (`before` pages by when they died). */
export function registerSendsDead(app: App): void {
  app.get("/v1/dead-letters", async (c) => {
    const { limit, before } = parseParams(pageQuery, c.req.query(), "query");
    const dead = await sendingOf(c).store.sends.dead(limit, before);
    return c.json({ sends: dead.map(sendView) });
  });
}
