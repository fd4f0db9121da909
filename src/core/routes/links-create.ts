import { z } from "zod";
import type { App } from "../app-env.js";
import { readJson } from "../http/validate.js";
import { withUtm } from "../links/links.js";
import { campaignId, httpUrl, utmSchema } from "./schemas.js";

const body = z
  .object({
    url: httpUrl,
    campaign: campaignId.optional(),
    utm: utmSchema.optional(),
  })
  .strict();

export function registerLinksCreate(app: App): void {
  app.post("/v1/links", async (c) => {
    const input = await readJson(c, body);
    const { links, config } = c.get("services");
    const link = await links.create(withUtm(input.url, input.utm), input.campaign ?? null);
    return c.json(
      {
        id: link.id,
        url: `${config.publicUrl}/c/${link.id}`,
        destination: link.url,
        campaign: link.campaign,
      },
      201,
    );
  });
}
