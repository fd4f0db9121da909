import type { App } from "../app-env.js";
import { noSuchProfile, profileParam, profilesOf } from "../profiles/route-helpers.js";
import { profileView } from "../profiles/view.js";

/** GET /v1/profiles/:id/export — everything held on the person (GDPR art. 15/20). */
export function registerProfilesExport(app: App): void {
  app.get("/v1/profiles/:id/export", async (c) => {
    const id = profileParam(c);
    const profiles = profilesOf(c);
    await c.get("services").recorder.flush();
    const data = await profiles.exportOf(id);
    if (!data) throw noSuchProfile();
    const now = c.get("services").clock.now();
    return c.json({
      exportedAt: now,
      profile: profileView(data.profile, now),
      identities: data.identities,
      events: data.events.map(({ seq: _, ...e }) => ({ ...e, body: JSON.parse(e.body) as unknown })),
      tracking: data.tracking,
    });
  });
}
