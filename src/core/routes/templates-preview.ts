import { z } from "zod";
import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { noSuchProfile, profilesOf } from "../profiles/route-helpers.js";
import { TemplateError } from "../sending/liquid.js";
import { addressOf } from "../sending/policy.js";
import { campaignId } from "./schemas.js";
import { findTemplate, sendingOf, templateParam } from "./templates-shared.js";

const body = z
  .object({
    person: z.string().min(1).max(320),
    data: z.record(z.unknown()).optional(),
    version: z.number().int().min(1).optional(),
    campaign: campaignId.optional(),
    /** false: the HTML as Liquid rendered it, before links are tracked and the pixel added. */
    wrap: z.boolean().optional(),
  })
  .strict();

/**
 * POST /v1/templates/:id/preview — the template rendered for one person, as a send would
 * render it. A part that needs data the person or `data` does not have answers 422 with
 * the variable's name (a send would go to dead letter with the same reason).
 */
export function registerTemplatesPreview(app: App): void {
  app.post("/v1/templates/:id/preview", async (c) => {
    const id = templateParam(c);
    const input = await readJson(c, body);
    const sending = sendingOf(c);
    const template = await findTemplate(sending, id, input.version);
    const profile = await profilesOf(c).find(input.person, { history: false });
    if (!profile) throw noSuchProfile();
    try {
      const rendered = await sending.renderer.render({
        template,
        profile,
        u: addressOf(profile, "email") ?? profile.id,
        campaign: input.campaign ?? "preview",
        sendId: "preview",
        data: input.data ?? {},
        wrap: input.wrap,
      });
      return c.json({ template: template.id, version: template.version, person: profile.id, ...rendered });
    } catch (err) {
      if (err instanceof TemplateError) throw new ApiError("unprocessable", err.message, { part: err.part });
      throw err;
    }
  });
}
