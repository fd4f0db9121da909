import { z } from "zod";
import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { withUtm } from "../links/links.js";
import { DIALECTS, WrapError, wrapHtml } from "../wrap/index.js";
import { campaignId, utmSchema } from "./schemas.js";

const body = z
  .object({
    html: z.string().max(3 * 1024 * 1024),
    campaign: campaignId,
    dialect: z.enum(DIALECTS),
    recipientField: z.enum(["email", "id"]).optional(),
    /** A custom merge tag to put in `u`, for ESPs or fields not in the table. */
    recipientTag: z.string().min(1).max(200).optional(),
    utm: utmSchema.optional(),
    openPixel: z.boolean().optional(),
  })
  .strict();

export function registerEmailsWrap(app: App): void {
  app.post("/v1/emails/wrap", async (c) => {
    const input = await readJson(c, body);
    const { links, config } = c.get("services");
    // Every distinct URL of the email registered in one store write.
    const register = async (urls: string[]) =>
      (
        await links.createMany(
          urls.map((u) => withUtm(u, input.utm)),
          input.campaign,
        )
      ).map((l) => l.id);
    try {
      const result = await wrapHtml(input.html, {
        campaign: input.campaign,
        dialect: input.dialect,
        recipientField: input.recipientField,
        recipientTag: input.recipientTag,
        clickUrl: (id) => `${config.publicUrl}/c/${id}`,
        openPixelUrl: `${config.publicUrl}/o/${input.campaign}.gif`,
        register,
        addOpenPixel: input.openPixel ?? true,
      });
      return c.json(result);
    } catch (err) {
      if (err instanceof WrapError)
        throw new ApiError("validation_failed", err.message, { reason: err.code });
      throw err;
    }
  });
}
