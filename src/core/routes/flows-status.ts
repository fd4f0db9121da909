import type { App } from "../app-env.js";
import type { FlowStatus } from "../ports/flows.js";
import { findFlow, flowParam, flowsOf, flowView } from "./flows-shared.js";

const ACTIONS: Readonly<Record<string, FlowStatus>> = {
  pause: "paused",
  resume: "active",
  archive: "archived",
};

/**
 * POST /v1/flows/:id/pause | resume | archive — paused flows start no runs and hold their
 * runs where they are; archive ends every run of the flow.
 */
export function registerFlowsStatus(app: App): void {
  // One literal path per action: a parameter there (/:id/:action) beside /builtin/:name is a
  // pattern RegExpRouter refuses, which would move the whole app onto the slower TrieRouter.
  for (const [action, status] of Object.entries(ACTIONS))
    app.post(`/v1/flows/:id/${action}`, async (c) => {
      const id = flowParam(c);
      await findFlow(c, id);
      const f = await flowsOf(c).setStatus(id, status);
      return c.json(flowView(f!));
    });
}
