import type { App } from "../app-env.js";
import { flowId } from "../flows/definition.js";
import { ApiError } from "../http/errors.js";
import { base64url } from "../util/encoding.js";
import { flowsOf, flowView, readDefinition } from "./flows-shared.js";

/** POST /v1/flows — a new flow (version 1, active) from a definition; `id` optional. */
export function registerFlowsCreate(app: App): void {
  app.post("/v1/flows", async (c) => {
    const engine = flowsOf(c);
    const { definition, extra } = await readDefinition(c, { id: flowId.optional() });
    const s = c.get("services");
    const id = extra.id ?? `flow_${base64url(s.random(9))}`;
    if (await engine.store.flow(id))
      throw new ApiError("conflict", `flow ${id} exists; PUT it to store a new version`);
    return c.json(flowView(await engine.save(id, definition)), 201);
  });
}
