import { z } from "zod";
import type { App } from "../app-env.js";
import { parseParams } from "../http/validate.js";
import { findTemplate, sendingOf, templateParam, templateView } from "./templates-shared.js";

const query = z.object({ version: z.coerce.number().int().min(1).optional() }).strict();

/** GET /v1/templates/:id — the latest version, or `?version=N`. */
export function registerTemplatesRead(app: App): void {
  app.get("/v1/templates/:id", async (c) => {
    const { version } = parseParams(query, c.req.query(), "query");
    return c.json(templateView(await findTemplate(sendingOf(c), templateParam(c), version)));
  });
}
