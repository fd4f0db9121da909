import type { App } from "../app-env.js";

/** GET /v1/campaigns — campaigns with hits, by name, with their opens and clicks (≤ 500). */
export function registerCampaignsList(app: App): void {
  app.get("/v1/campaigns", async (c) => {
    const { store } = c.get("services");
    const campaigns = (await store.events.campaigns?.(500)) ?? [];
    return c.json({ campaigns });
  });
}
