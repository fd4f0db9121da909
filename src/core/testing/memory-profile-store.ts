import type { TrackEvent } from "../ports/index.js";
import type {
  ActivityRow,
  Profile,
  ProfileStore,
  ProfileTx,
  StoredEvent,
  TrackingRow,
} from "../ports/profiles.js";
import { addActivity } from "../profiles/activity.js";
import { serializeProfile } from "../profiles/bounds.js";
import { parseProfile } from "../profiles/model.js";

/**
 * In-memory ProfileStore for core unit tests; passes the same contract as SQLite.
 * Profiles are kept as JSON text so a caller mutating what get() returned changes
 * nothing until commit (the service relies on that when a group fails).
 * `tracking` is the opens/clicks log to search and erase in (the memory Store's log).
 */
export function createMemoryProfileStore(tracking: TrackEvent[] = []): ProfileStore & { failNext?: boolean } {
  const profiles = new Map<string, string>();
  const identities = new Map<string, string>();
  const events: StoredEvent[] = [];
  const seen = new Map<string, number>();
  const erased = new Set<string>();
  const activity = new Map<string, string>();
  /** profile_email_refs: "email\u0000profileId". */
  const refs = new Set<string>();
  const ref = (email: string, profileId: string) => `${email}\u0000${profileId}`;
  let seq = 0;
  const tx: ProfileTx = {
    lookup(keys) {
      const out = new Map<string, string>();
      for (const k of keys) {
        const id = identities.get(k);
        if (id) out.set(k, id);
      }
      return out;
    },
    get(ids) {
      const out = new Map<string, Profile>();
      for (const id of ids) {
        const doc = profiles.get(id);
        if (doc) out.set(id, parseProfile(doc));
      }
      return out;
    },
    history(ids, max) {
      const set = new Set(ids);
      const out = events.filter((e) => set.has(e.profileId)).map((e) => ({ ...e }));
      return out.length > max ? null : out.sort((a, b) => a.at - b.at || a.seq! - b.seq!);
    },
    seen: (keys) => new Set(keys.filter((k) => seen.has(k))),
    erased: (hashes) => new Set(hashes.filter((h) => erased.has(h))),
    commit(w) {
      if (store.failNext) {
        store.failNext = false;
        throw new Error("injected failure");
      }
      for (const { from, to } of w.merged) {
        for (const [k, id] of identities) if (id === from) identities.set(k, to);
        for (const e of events) if (e.profileId === from) e.profileId = to;
        for (const r of [...refs]) {
          const [email, id] = r.split("\u0000") as [string, string];
          if (id !== from) continue;
          refs.delete(r);
          refs.add(ref(email, to));
        }
        profiles.delete(from);
      }
      for (const [k, id] of w.identities) identities.set(k, id);
      for (const p of w.profiles) profiles.set(p.id, serializeProfile(p));
      for (const e of w.events) events.push({ ...e, seq: ++seq });
      for (const [k, at] of w.seen) seen.set(k, at);
      for (const [email, id] of w.emailRefs) refs.add(ref(email, id));
    },
  };
  const store: ProfileStore & { failNext?: boolean } = {
    async lookup(keys) {
      return tx.lookup(keys);
    },
    async get(ids) {
      return tx.get(ids);
    },
    async profileIds(after, limit) {
      return [...profiles.keys()]
        .filter((id) => after === null || id > after)
        .sort()
        .slice(0, limit);
    },
    async keysOf(profileId) {
      return [...identities].filter(([, id]) => id === profileId).map(([k]) => k);
    },
    async seen(keys) {
      return tx.seen(keys);
    },
    async erased(hashes) {
      return tx.erased(hashes);
    },
    async commit(w) {
      tx.commit(w);
    },
    // One writer, nothing to lock: the caller's queue serialises groups.
    transact: (fn) => fn(tx),
    async events(profileId, limit) {
      const all = events
        .filter((e) => e.profileId === profileId)
        .sort((a, b) => a.at - b.at || a.seq! - b.seq!)
        .map((e) => ({ ...e }));
      return limit === undefined ? all : all.slice(-limit);
    },
    async activity(keys) {
      return keys.flatMap((k) => {
        const doc = activity.get(k);
        return doc ? [JSON.parse(doc) as ActivityRow] : [];
      });
    },
    async addActivity(deltas, hashes) {
      const dropped = new Set<string>();
      for (const d of deltas) {
        const doc = activity.get(d.key);
        if (doc) {
          const row = JSON.parse(doc) as ActivityRow;
          addActivity(row, d);
          activity.set(d.key, JSON.stringify(row));
          continue;
        }
        const h = hashes.get(d.key);
        if (h === undefined || erased.has(h)) dropped.add(d.key);
        else activity.set(d.key, JSON.stringify(d));
      }
      return dropped;
    },
    async tracking(recipients, limit) {
      const set = new Set(recipients);
      const rows = tracking
        .filter((e) => e.recipient !== null && set.has(e.recipient))
        .map(
          (e): TrackingRow => ({
            at: e.at,
            kind: e.kind,
            campaign: e.campaign,
            linkId: e.linkId,
            recipient: e.recipient!,
            class: e.class,
            corrects: e.corrects ?? null,
          }),
        );
      return limit === undefined ? rows : rows.slice(-limit);
    },
    async erase(req) {
      let nEvents = 0;
      for (let i = events.length - 1; i >= 0; i--) {
        if (events[i]!.profileId === req.profileId) {
          events.splice(i, 1);
          nEvents++;
        }
      }
      let nIds = 0;
      for (const [k, id] of identities) {
        if (id === req.profileId) {
          identities.delete(k);
          nIds++;
        }
      }
      if (req.profileId) profiles.delete(req.profileId);
      for (const k of req.activityKeys) activity.delete(k);
      const set = new Set(req.recipients);
      let nTracking = 0;
      for (let i = tracking.length - 1; i >= 0; i--) {
        const r = tracking[i]!.recipient;
        if (r !== null && set.has(r)) {
          tracking.splice(i, 1);
          nTracking++;
        }
      }
      for (const h of req.hashes) erased.add(h);
      const emails = new Set(req.emails ?? []);
      for (const r of [...refs]) {
        const [email, id] = r.split("\u0000") as [string, string];
        if (id === req.profileId || emails.has(email)) refs.delete(r);
      }
      for (const sp of req.scrubbed ?? []) {
        for (const { seq: n, body } of sp.events) {
          const e = events.find((x) => x.seq === n);
          if (e) e.body = body;
        }
        profiles.set(sp.profile.id, serializeProfile(sp.profile));
      }
      return { events: nEvents, identities: nIds, tracking: nTracking, other: 0 };
    },
    async emailHolders(emails) {
      const out = new Map<string, string[]>();
      for (const r of refs) {
        const [email, id] = r.split("\u0000") as [string, string];
        if (emails.includes(email)) out.set(id, [...(out.get(id) ?? []), email]);
      }
      return out;
    },
    async pruneSeen(before, max) {
      let n = 0;
      for (const [k, at] of seen) {
        if (n >= max) break;
        if (at < before) {
          seen.delete(k);
          n++;
        }
      }
      return n;
    },
  };
  return store;
}
