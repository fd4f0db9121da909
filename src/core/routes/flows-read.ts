import { z } from "zod";
import type { App } from "../app-env.js";
import { parseParams } from "../http/validate.js";
import { findFlow, flowParam, flowView } from "./flows-shared.js";

const query = z.object({ version: z.coerce.number().int().min(1).optional() });

/** GET /v1/flows/:id — the current version, or `?version=`. */
export function registerFlowsRead(app: App): void {
  app.get("/v1/flows/:id", async (c) => {
    const { version } = parseParams(query, c.req.query(), "query");
    return c.json(flowView(await findFlow(c, flowParam(c), version)));
  });
}
