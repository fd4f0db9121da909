import { z } from "zod";
import type { App } from "../app-env.js";
import { parseParams } from "../http/validate.js";
import { sendingOf, TEMPLATE_ID, templateView } from "./templates-shared.js";

const query = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    after: z.string().regex(TEMPLATE_ID).optional(),
  })
  .strict();

/** GET /v1/templates — latest versions, oldest first; `after` pages by id. */
export function registerTemplatesList(app: App): void {
  app.get("/v1/templates", async (c) => {
    const { limit, after } = parseParams(query, c.req.query(), "query");
    const list = await sendingOf(c).store.templates.list(limit, after);
    return c.json({
      templates: list.map(templateView),
      next: list.length === limit ? list.at(-1)!.id : null,
    });
  });
}
