import type { App } from "../app-env.js";
import { noSuchProfile, profileParam, profilesOf } from "../profiles/route-helpers.js";
import { profileView } from "../profiles/view.js";

/** GET /v1/profiles/:id — by user id, email, anonymous id, ESP id or profile id. */
export function registerProfilesGet(app: App): void {
  app.get("/v1/profiles/:id", async (c) => {
    const id = profileParam(c);
    const profiles = profilesOf(c);
    // Read-your-writes for opens/clicks too (acknowledged Segment events are already in):
    // a recorder flush returns once the log, and the profiles fed from it, have the batch.
    await c.get("services").recorder.flush();
    await profiles.flush();
    const p = await profiles.find(id);
    if (!p) throw noSuchProfile();
    const now = c.get("services").clock.now();
    // Predictive scores: the trained models', else heuristics (each says which).
    return c.json({ ...profileView(p, now), scores: await c.get("services").scorer.scoresOf(p, now) });
  });
}
