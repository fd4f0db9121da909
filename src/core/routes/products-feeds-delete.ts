import type { App } from "../app-env.js";
import { FEED_ID_RE } from "../catalog/feed-schema.js";
import { ApiError } from "../http/errors.js";

/** DELETE /v1/feeds/:id — stops the schedule; products already imported stay. */
export function registerProductsFeedsDelete(app: App): void {
  app.delete("/v1/feeds/:id", async (c) => {
    const s = c.get("services");
    if (!s.feeds) throw new ApiError("unavailable", "scheduled feeds are not available on this server");
    const id = c.req.param("id");
    if (!FEED_ID_RE.test(id) || !(await s.feeds.delete(id))) throw new ApiError("not_found", "no such feed");
    return c.body(null, 204);
  });
}
