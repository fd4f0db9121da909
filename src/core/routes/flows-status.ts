import { z } from "zod";
import type { App } from "../app-env.js";
import { parseParams } from "../http/validate.js";
import type { FlowStatus } from "../ports/flows.js";
import { findFlow, flowParam, flowsOf, flowView } from "./flows-shared.js";

const ACTIONS: Readonly<Record<string, FlowStatus>> = {
  pause: "paused",
  resume: "active",
  archive: "archived",
};
const action = z.enum(["pause", "resume", "archive"]);

/**
 * POST /v1/flows/:id/pause | resume | archive — paused flows start no runs and hold their
 * runs where they are; archive ends every run of the flow.
 */
export function registerFlowsStatus(app: App): void {
  app.post("/v1/flows/:id/:action", async (c) => {
    const id = flowParam(c);
    const act = parseParams(action, c.req.param("action"), "action");
    await findFlow(c, id);
    const f = await flowsOf(c).setStatus(id, ACTIONS[act]!);
    return c.json(flowView(f!));
  });
}
