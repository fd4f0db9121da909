import type { Profile, ProfileStore, ScrubbedProfile } from "../ports/profiles.js";
import { activityKeysOf, recipientsOfKeys } from "./activity.js";
import { identityValue, kindOf } from "./identity.js";
import { reviveProfile } from "./model.js";
import { redact, redactBody } from "./redact.js";
import { MAX_REPLAY_EVENTS, rebuild } from "./replay.js";

/** What `u` in an open/click may have held for this person: their emails, ESP ids, user ids. */
export function recipientsOf(identities: string[], p: Profile): string[] {
  const out = new Set(identities.filter((k) => kindOf(k) !== "a").map(identityValue));
  for (const r of recipientsOfKeys(activityKeysOf(p))) out.add(r);
  return [...out];
}

/** The person's addresses: their email identity keys and the emails their profile lists. */
export function addressesOf(identities: string[], p: Profile): string[] {
  return [...new Set([...p.emails, ...identities.filter((k) => kindOf(k) === "e").map(identityValue)])];
}

/**
 * Profiles of other people that named an erased address (a shared inbox: `holders`, profile
 * id → addresses), without it: their stored events rewritten, then the profile rebuilt from
 * them in time order (replay.ts); one with too many events to rebuild has the address
 * taken out of the document itself.
 */
export async function scrubHolders(
  store: ProfileStore,
  holders: ReadonlyMap<string, readonly string[]>,
): Promise<ScrubbedProfile[]> {
  const stored = await store.get([...holders.keys()]);
  const out: ScrubbedProfile[] = [];
  for (const [id, addresses] of holders) {
    const profile = stored.get(id);
    if (!profile) continue;
    const history = await store.events(id);
    const events: ScrubbedProfile["events"] = [];
    for (const e of history) {
      const body = redactBody(e.body, addresses);
      if (body === null || e.seq === undefined) continue;
      e.body = body;
      events.push({ seq: e.seq, body });
    }
    const replay = history.length <= MAX_REPLAY_EVENTS;
    const scrubbed = replay
      ? profile
      : reviveProfile(redact(JSON.parse(JSON.stringify(profile)), addresses) as Profile);
    scrubbed.emails = scrubbed.emails.filter((e) => !addresses.includes(e));
    if (replay) rebuild(scrubbed, history, []);
    out.push({ profile: scrubbed, events });
  }
  return out;
}
