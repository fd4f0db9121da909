import type { App } from "../app-env.js";
import { noSuchProfile, profileParam, profilesOf } from "../profiles/route-helpers.js";

/**
 * DELETE /v1/profiles/:id — erasure (GDPR art. 17). Removes the profile, its identities,
 * its accepted events and its opens/clicks rows; keeps only HMACs of its identities so a
 * stray later event does not re-create the person.
 */
export function registerProfilesDelete(app: App): void {
  app.delete("/v1/profiles/:id", async (c) => {
    const id = profileParam(c);
    const profiles = profilesOf(c);
    // Opens/clicks still in the recorder's buffer must be on disk before they are erased.
    await c.get("services").recorder.flush();
    const res = await profiles.erase(id);
    if (!res) throw noSuchProfile();
    return c.json({ erased: true, ...res });
  });
}
