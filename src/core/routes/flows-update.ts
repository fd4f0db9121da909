import { z } from "zod";
import type { App } from "../app-env.js";
import { findFlow, flowParam, flowsOf, flowView, readDefinition } from "./flows-shared.js";

/**
 * PUT /v1/flows/:id — a new version. Runs in flight finish on the version they started
 * unless `migrate: true` moves them (they continue at the same step id).
 */
export function registerFlowsUpdate(app: App): void {
  app.put("/v1/flows/:id", async (c) => {
    const id = flowParam(c);
    const engine = flowsOf(c);
    const { definition, extra } = await readDefinition(c, { migrate: z.boolean().default(false) });
    await findFlow(c, id);
    return c.json(flowView(await engine.save(id, definition, { migrate: extra.migrate })));
  });
}
