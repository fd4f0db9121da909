import type { App } from "../app-env.js";
import { feedView } from "../catalog/feed-schema.js";
import { ApiError } from "../http/errors.js";

/** GET /v1/feeds — stored feeds with their schedule and last run. */
export function registerProductsFeedsList(app: App): void {
  app.get("/v1/feeds", async (c) => {
    const s = c.get("services");
    if (!s.feeds) throw new ApiError("unavailable", "scheduled feeds are not available on this server");
    return c.json({ feeds: (await s.feeds.list()).map(feedView) });
  });
}
