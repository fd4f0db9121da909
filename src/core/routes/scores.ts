import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";

/**
 * GET /v1/scores — what the predictive scores run on: each score's model with its held-out
 * AUC and Brier score, or the heuristic and why (too little history).
 * POST /v1/scores/train — trains them now on the shop's history (else daily).
 */
export function registerScores(app: App): void {
  app.get("/v1/scores", async (c) => c.json(await c.get("services").scorer.describe()));
  app.post("/v1/scores/train", async (c) => {
    const s = c.get("services");
    if (!s.scoreSource) throw new ApiError("unavailable", "profiles are not configured on this server");
    await s.scorer.train(s.clock.now());
    return c.json(await s.scorer.describe());
  });
}
