import { z } from "zod";
import type { App } from "../app-env.js";
import { BUILTIN_NAMES, builtin } from "../flows/builtins.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";
import { flowsOf, flowView } from "./flows-shared.js";

const name = z.string().max(64);

/**
 * POST /v1/builtin-flows/:name — enables a built-in flow (id = its name) and creates its
 * starter templates where absent. Enabling it again keeps an edited flow as it is.
 */
export function registerFlowsBuiltin(app: App): void {
  app.post("/v1/builtin-flows/:name", async (c) => {
    const n = parseParams(name, c.req.param("name"), "built-in name");
    const b = builtin(n);
    if (!b) throw new ApiError("not_found", `no built-in flow ${n}; use one of ${BUILTIN_NAMES.join(", ")}`);
    const engine = flowsOf(c);
    const s = c.get("services");
    const templates: string[] = [];
    if (s.sendingService) {
      const store = s.sendingService.store.templates;
      const now = s.clock.now();
      for (const [id, t] of Object.entries(b.templates)) {
        if (await store.get(id)) continue;
        await store.create({ ...t, id, version: 1, createdAt: now, updatedAt: now });
        templates.push(id);
      }
    }
    const had = await engine.store.flow(n);
    if (had && had.status !== "archived") return c.json({ ...flowView(had), templatesCreated: templates });
    const f = await engine.save(n, b.definition, { builtin: n, status: "active" });
    return c.json({ ...flowView(f), templatesCreated: templates }, 201);
  });
}
