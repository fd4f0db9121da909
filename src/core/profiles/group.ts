import type { EmailEvent, Profile, ProfileTx, ProfileWrite, StoredEvent } from "../ports/profiles.js";
import type { IngestEvent } from "../segment/event.js";
import { identityValue, isEmail, key, kindOf, normalizeEmail } from "./identity.js";
import { emptyProfile, pushUnique } from "./model.js";
import { TimeOrder } from "./time-order.js";

export interface IngestResult {
  accepted: number;
  duplicates: number;
  suppressed: number;
  /** Per event of a Segment job, in order: the profile it was stored for (null: duplicate or suppressed). */
  profileIds?: (string | null)[];
}

export type Job =
  | { kind: "segment"; events: IngestEvent[]; result: IngestResult }
  | { kind: "email"; event: EmailEvent; result: IngestResult };

export interface GroupDeps {
  now: number;
  newId: () => string;
  /** HMACs of identity keys (for the erased-person check), computed before the lock. */
  hashes: Map<string, string>;
}

/** The identity keys a job names, in priority order (the first known one's profile wins). */
function keysOf(job: Job): { keys: string[]; alias: boolean } {
  if (job.kind === "email") {
    const keys = [key("e", normalizeEmail(job.event.email)!)];
    if (job.event.recipientId) keys.push(key("r", job.event.recipientId));
    return { keys, alias: false };
  }
  return { keys: [], alias: false };
}

function segmentKeys(ev: IngestEvent, known?: Map<string, string>): { keys: string[]; alias: boolean } {
  const keys: string[] = [];
  if (ev.userId) keys.push(key("u", ev.userId));
  if (ev.anonymousId) keys.push(key("a", ev.anonymousId));
  if (ev.previousId) {
    // analytics.js sends the anonymous id as previousId; a known user id works too.
    const u = key("u", ev.previousId);
    keys.push(known?.has(u) ? u : key("a", ev.previousId));
    if (!known) keys.push(u);
  }
  const email = normalizeEmail(ev.traits.email);
  if (email) keys.push(key("e", email));
  return { keys, alias: ev.type === "alias" };
}

/** What a group must read before it can apply: dedupe keys and every identity key named. */
export function groupKeys(jobs: Job[]): { dedupe: string[]; keys: string[] } {
  const dedupe: string[] = [];
  const allKeys = new Set<string>();
  for (const job of jobs) {
    if (job.kind === "segment") {
      for (const ev of job.events) {
        dedupe.push(`m:${ev.messageId}`);
        for (const k of segmentKeys(ev).keys) allKeys.add(k);
      }
    } else {
      dedupe.push(`x:${job.event.provider}:${job.event.id}`);
      for (const k of keysOf(job).keys) allKeys.add(k);
    }
  }
  return { dedupe, keys: [...allKeys] };
}

/**
 * One group commit, read and applied synchronously inside one store transaction (`tx`; the
 * caller commits the returned write in it), so a read-modify-write never interleaves with
 * another connection's commit: identities resolved for every job, events applied to
 * profiles loaded once (in time order: time-order.ts), one atomic write returned. HMACs
 * are async, so they cannot be computed under the lock: `hashes` holds those computed
 * before it. If a key is unknown now but had no hash (it was known when hashed: erased or
 * moved since), nothing is applied and the missing keys are returned, to hash and retry.
 */
export function runGroup(
  jobs: Job[],
  tx: ProfileTx,
  deps: GroupDeps,
): { write: ProfileWrite } | { missing: string[] } {
  const { dedupe, keys } = groupKeys(jobs);
  const ids = tx.lookup(keys);
  const unknown = keys.filter((k) => !ids.has(k));
  const missing = unknown.filter((k) => !deps.hashes.has(k));
  if (missing.length) return { missing };
  const seen = tx.seen(dedupe);
  const erasedHashes = unknown.length
    ? tx.erased(unknown.map((k) => deps.hashes.get(k)!))
    : new Set<string>();
  const erased = new Set(unknown.filter((k) => erasedHashes.has(deps.hashes.get(k)!)));
  const profiles = tx.get([...new Set(ids.values())]);
  const order = new TimeOrder((pids, max) => tx.history(pids, max));
  return { write: applyGroup(jobs, { seen, ids, erased, profiles, order }, deps) };
}

/** Everything a group reads from the store, read once before anything is applied. */
interface GroupReads {
  seen: Set<string>;
  ids: Map<string, string>;
  /** Identity keys of erased people (unknown keys whose HMAC is on the erased list). */
  erased: Set<string>;
  profiles: Map<string, Profile>;
  order: TimeOrder;
}

/** The synchronous part of a group: identity resolution, merges and every apply. */
function applyGroup(jobs: Job[], reads: GroupReads, deps: Pick<GroupDeps, "now" | "newId">): ProfileWrite {
  const { now } = deps;
  const { seen, ids, erased, profiles, order } = reads;

  const dirty = new Set<string>();
  const dirtyKeys = new Set<string>();
  const merged: ProfileWrite["merged"] = [];
  const events: StoredEvent[] = [];
  const seenNow: [string, number][] = [];
  const emailRefs: [string, string][] = [];

  const attach = (p: Profile, k: string) => {
    ids.set(k, p.id);
    dirtyKeys.add(k);
    const v = identityValue(k);
    const list = { u: p.userIds, a: p.anonymousIds, e: p.emails, r: p.recipientIds }[kindOf(k)];
    pushUnique(list, v);
    if (kindOf(k) === "u") p.userId ??= v;
  };

  /** The profile these keys belong to, merging the ones an event proves are one person. */
  const resolve = (keys: string[], alias: boolean, at: number): Profile | null => {
    if (keys.some((k) => erased.has(k))) return null;
    const found: Profile[] = [];
    const free: string[] = [];
    for (const k of keys) {
      const pid = ids.get(k);
      const p = pid ? profiles.get(pid) : undefined;
      if (!p) free.push(k);
      else if (!found.includes(p)) found.push(p);
    }
    // A known user's profile absorbs anonymous ones (its id is the one people look up).
    // A user id new to us never joins another user's profile unless an alias says so.
    const newUser = !alias && free.some((k) => kindOf(k) === "u");
    const eligible = newUser ? found.filter((p) => p.userIds.length === 0) : found;
    let target = eligible.find((p) => p.userIds.length > 0) ?? eligible[0];
    if (!target) {
      target = emptyProfile(deps.newId(), at);
      profiles.set(target.id, target);
    }
    for (const k of free) attach(target, k);
    for (const p of found) {
      if (p === target) continue;
      // Two known users are two people (a shared device, a shared inbox) unless an alias
      // says otherwise: the key stays where it is, and an address of it is noted as named
      // by the target too (its traits hold it: erasing the address must reach them).
      if (!alias && target.userIds.length > 0 && p.userIds.length > 0) {
        for (const k of keys)
          if (kindOf(k) === "e" && ids.get(k) === p.id) emailRefs.push([identityValue(k), target.id]);
        continue;
      }
      order.merge(target, p);
      profiles.delete(p.id);
      dirty.delete(p.id);
      merged.push({ from: p.id, to: target.id });
      for (const [kk, v] of ids) if (v === p.id) ids.set(kk, target.id);
      for (const e of events) if (e.profileId === p.id) e.profileId = target.id;
      for (const r of emailRefs) if (r[1] === p.id) r[1] = target.id;
    }
    dirty.add(target.id);
    return target;
  };

  const isDuplicate = (k: string) => {
    if (seen.has(k)) return true;
    seen.add(k);
    seenNow.push([k, now]);
    return false;
  };

  for (const job of jobs) {
    if (job.kind === "segment") {
      const profileIds: (string | null)[] = [];
      job.result.profileIds = profileIds;
      for (const ev of job.events) {
        if (isDuplicate(`m:${ev.messageId}`)) {
          job.result.duplicates++;
          profileIds.push(null);
          continue;
        }
        const { keys, alias } = segmentKeys(ev, ids);
        const p = resolve(keys, alias, ev.timestamp);
        if (!p) {
          job.result.suppressed++;
          profileIds.push(null);
          continue;
        }
        profileIds.push(p.id);
        order.add(p, ev.timestamp, { kind: "segment", facts: ev });
        events.push({
          profileId: p.id,
          messageId: ev.messageId,
          type: ev.type,
          event: ev.event,
          at: ev.timestamp,
          receivedAt: ev.receivedAt,
          body: ev.body,
        });
        job.result.accepted++;
      }
    } else {
      const e = job.event;
      if (isDuplicate(`x:${e.provider}:${e.id}`)) {
        job.result.duplicates++;
        continue;
      }
      const { keys } = keysOf(job);
      const p = resolve(keys, false, e.at);
      if (!p) {
        job.result.suppressed++;
        continue;
      }
      order.add(p, e.at, { kind: "email", event: e, email: normalizeEmail(e.email)! });
      events.push({
        profileId: p.id,
        messageId: `${e.provider}:${e.id}`,
        type: "email",
        event: e.type,
        at: e.at,
        receivedAt: now,
        body: JSON.stringify(e),
      });
      job.result.accepted++;
    }
  }

  // A merge later in the group moved earlier events to the surviving profile: so do their ids.
  if (merged.length) {
    const to = new Map(merged.map((m) => [m.from, m.to]));
    const final = (id: string) => {
      for (let n = 0; to.has(id) && n <= merged.length; n++) id = to.get(id)!;
      return id;
    };
    for (const job of jobs)
      if (job.kind === "segment" && job.result.profileIds)
        job.result.profileIds = job.result.profileIds.map((id) => id && final(id));
  }
  order.finish(profiles);
  const written: Profile[] = [];
  for (const id of dirty) {
    const p = profiles.get(id);
    if (!p) continue;
    p.updatedAt = Math.max(p.updatedAt, now);
    written.push(p);
  }
  return {
    merged,
    identities: [...dirtyKeys].map((k) => [k, ids.get(k)!] as [string, string]),
    profiles: written,
    events,
    seen: seenNow,
    emailRefs: [...new Map(emailRefs.map((r) => [`${r[0]}\u0000${r[1]}`, r])).values()],
  };
}

export { isEmail };
