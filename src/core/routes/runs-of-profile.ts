import { z } from "zod";
import type { App } from "../app-env.js";
import { parseParams } from "../http/validate.js";
import { noSuchProfile, profileParam, profilesOf } from "../profiles/route-helpers.js";
import { flowsOf, runView } from "./flows-shared.js";

const query = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/** GET /v1/profiles/:id/runs — a person's flow runs, newest first, each with its steps. */
export function registerRunsOfProfile(app: App): void {
  app.get("/v1/profiles/:id/runs", async (c) => {
    const { limit } = parseParams(query, c.req.query(), "query");
    const engine = flowsOf(c);
    const p = await profilesOf(c).find(profileParam(c), { history: false });
    if (!p) throw noSuchProfile();
    const runs = await engine.store.runsOf(p.id, limit);
    const out = [];
    for (const r of runs) {
      const steps = await engine.store.stepsOf(r.id);
      out.push({
        ...runView(r),
        steps: steps.map((s) => ({
          stepId: s.stepId,
          at: new Date(s.at).toISOString(),
          outcome: s.outcome,
          ...(s.detail !== undefined ? { detail: s.detail } : {}),
        })),
      });
    }
    return c.json({ profile: p.id, runs: out });
  });
}
