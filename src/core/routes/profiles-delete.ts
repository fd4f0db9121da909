import type { App } from "../app-env.js";
import type { Profile } from "../ports/profiles.js";
import { noSuchProfile, profileParam, profilesOf } from "../profiles/route-helpers.js";
import { normalizeRecipient } from "../tracking/recipient.js";

/** Every value `u` may have carried for this person (as /i/ and /c/ stored it). */
function recipientValues(p: Profile): string[] {
  const out = new Set<string>();
  for (const v of [...p.emails, ...p.recipientIds, ...p.userIds]) {
    out.add(v);
    const n = normalizeRecipient(v);
    if (n) out.add(n);
  }
  return [...out];
}

/**
 * DELETE /v1/profiles/:id — erasure (GDPR art. 17). Removes the profile, its identities,
 * its accepted events, its opens/clicks rows, its render decisions (counted in `other`) and
 * its send attempts, its poll votes and offer grants (its coupon codes stay taken, unnamed); takes its addresses out of other profiles that named them (a shared
 * inbox), and leaves none of it in the database files (free pages zeroed, the WAL
 * truncated); keeps only HMACs of its identities so a stray later event does not re-create
 * the person.
 */
export function registerProfilesDelete(app: App): void {
  app.delete("/v1/profiles/:id", async (c) => {
    const id = profileParam(c);
    const profiles = profilesOf(c);
    // Opens/clicks still in the recorder's buffer must be on disk before they are erased.
    const s = c.get("services");
    await s.recorder.flush();
    // Who they are is read before the profile goes: their render decisions go with it.
    const person = await profiles.find(id, { history: false });
    const res = await profiles.erase(id);
    if (!res) throw noSuchProfile();
    let decisions = 0;
    for (const r of person ? recipientValues(person) : []) {
      decisions += await s.decisions.eraseRecipient(r);
      // Their poll votes, offer grants and the name on their coupon codes.
      decisions += (await s.polls?.eraseRecipient(r)) ?? 0;
      decisions += (await s.coupons?.eraseRecipient(r)) ?? 0;
      // Their last click kept for attribution (credited orders name no one).
      decisions += await s.learner.eraseRecipient(r);
    }
    // Their send attempts (addresses, rendered messages, the data they were sent with).
    if (s.sendingService) await s.sendingService.messenger.erase(res.profileId);
    // Last: what was deleted, on every thread, is now in neither database file.
    await profiles.expunge();
    return c.json({ erased: true, ...res, other: res.other + decisions });
  });
}
