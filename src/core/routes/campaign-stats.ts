import type { App } from "../app-env.js";
import { parseParams } from "../http/validate.js";
import { campaignId } from "./schemas.js";

export function registerCampaignStats(app: App): void {
  app.get("/v1/campaigns/:id/stats", async (c) => {
    const id = parseParams(campaignId, c.req.param("id"), "campaign id");
    const { store, recorder } = c.get("services");
    // Read-your-writes: what was already answered (302 / pixel) is counted in what we report.
    await recorder.flush();
    const stats = await store.events.campaignStats(id);
    return c.json({ campaign: id, ...stats });
  });
}
