import type { App } from "../app-env.js";
import { parseParams } from "../http/validate.js";
import { noSuchProfile, profileParam, profilesOf } from "../profiles/route-helpers.js";
import { pageQuery, sendingOf, sendView } from "./templates-shared.js";

/** GET /v1/profiles/:id/sends — a person's send attempts, newest first (`before` pages). */
export function registerSendsOfProfile(app: App): void {
  app.get("/v1/profiles/:id/sends", async (c) => {
    const { limit, before } = parseParams(pageQuery, c.req.query(), "query");
    const sending = sendingOf(c);
    const p = await profilesOf(c).find(profileParam(c), { history: false });
    if (!p) throw noSuchProfile();
    const sends = await sending.store.sends.ofPerson(p.id, { limit, before });
    return c.json({ profile: p.id, sends: sends.map(sendView) });
  });
}
