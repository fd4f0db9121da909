import { z } from "zod";
import { type Links, withUtm } from "../links/links.js";
import { campaignId, utmSchema } from "../routes/schemas.js";
import { DIALECTS } from "./dialects.js";
import { type WrapResult, wrapHtml } from "./wrap-html.js";

/**
 * A request to wrap an email, as POST /v1/emails/wrap takes it and `opentime wrap` builds it
 * from its flags: one schema and one function for both, so the same email gets the same
 * links, destinations and refusals whichever way it is wrapped.
 */
export const wrapRequest = z
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

export type WrapRequest = z.infer<typeof wrapRequest>;

/** Wraps `input.html` for the tracker at `publicUrl`, every distinct URL registered in one store write. */
export function wrapEmail(links: Links, publicUrl: string, input: WrapRequest): Promise<WrapResult> {
  return wrapHtml(input.html, {
    campaign: input.campaign,
    dialect: input.dialect,
    recipientField: input.recipientField,
    recipientTag: input.recipientTag,
    clickUrl: (id) => `${publicUrl}/c/${id}`,
    openPixelUrl: `${publicUrl}/o/${input.campaign}.gif`,
    register: async (urls) =>
      (
        await links.createMany(
          urls.map((u) => withUtm(u, input.utm)),
          input.campaign,
        )
      ).map((l) => l.id),
    addOpenPixel: input.openPixel ?? true,
  });
}
