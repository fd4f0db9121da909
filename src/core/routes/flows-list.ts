import type { App } from "../app-env.js";
import { flowsOf, flowView } from "./flows-shared.js";

/** GET /v1/flows — every flow's current version (archived ones too), by id. */
export function registerFlowsList(app: App): void {
  app.get("/v1/flows", async (c) => {
    const flows = await flowsOf(c).store.flows();
    return c.json({ flows: flows.map(flowView) });
  });
}
