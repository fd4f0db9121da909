import type { Profile } from "../ports/profiles.js";
import { byteLength } from "../segment/event.js";
import { dict } from "../util/dict.js";
import {
  MAX_CURRENCIES,
  MAX_GROUP_TRAITS_CHARS,
  MAX_GROUPS,
  MAX_PROFILE_BYTES,
  MAX_SUPPRESSIONS,
  MAX_TRAITS,
  MAX_TRAITS_CHARS,
  parseProfile,
} from "./model.js";

/**
 * Writes into the profile's maps that keep them within their caps (model.ts). A Segment
 * event may be 32 KB and nothing stops a client from sending thousands: 300 `group` calls
 * once made a 9 MB document that took 0.2 s to write, every other person's write waiting
 * behind it. Each rule decides from the profile and the event alone, so a rebuild in time
 * order (replay.ts) keeps exactly what the profile kept.
 */

/** Characters a key and its value add to a JSON object (`"k":v,`). */
const entryChars = (k: string, v: unknown) => k.length + (JSON.stringify(v)?.length ?? 0) + 4;

/**
 * Sets traits from an identify. Newer identify wins; an older one (a late delivery) only
 * fills what is missing. A trait that would take the traits past MAX_TRAITS keys or
 * MAX_TRAITS_CHARS of JSON is not kept (the event keeps it; the export shows it).
 */
export function putTraits(p: Profile, traits: Record<string, unknown>, newer: boolean): void {
  let keys = Object.keys(p.traits).length;
  let chars = JSON.stringify(p.traits).length;
  for (const [k, v] of Object.entries(traits)) {
    const had = k in p.traits;
    if (had && !newer) continue;
    if (!had && keys >= MAX_TRAITS) continue;
    const delta = entryChars(k, v) - (had ? entryChars(k, p.traits[k]) : 0);
    if (chars + delta > MAX_TRAITS_CHARS) continue;
    p.traits[k] = v;
    chars += delta;
    if (!had) keys++;
  }
}

/** A group's traits within MAX_GROUP_TRAITS_CHARS: its first keys that fit. */
function groupTraits(traits: Record<string, unknown>): Record<string, unknown> {
  const out = dict<unknown>();
  let chars = 2;
  for (const [k, v] of Object.entries(traits)) {
    const c = entryChars(k, v);
    if (chars + c > MAX_GROUP_TRAITS_CHARS) continue;
    out[k] = v;
    chars += c;
  }
  return out;
}

/** Sets a group (a `group` call): the most recent MAX_GROUPS are kept. */
export function putGroup(p: Profile, id: string, traits: Record<string, unknown>, at: number): void {
  p.groups[id] = { traits: groupTraits(traits), at };
  dropOldest(p.groups, MAX_GROUPS);
}

/** Adds to lifetime value in a currency; past MAX_CURRENCIES currencies a new one is not kept. */
export function addLtv(p: Profile, currency: string, amount: number): void {
  const ltv = p.purchases.ltv;
  if (!(currency in ltv) && Object.keys(ltv).length >= MAX_CURRENCIES) return;
  ltv[currency] = (ltv[currency] ?? 0) + amount;
}

/** Suppresses an address: the most recent MAX_SUPPRESSIONS are kept. */
export function suppress(p: Profile, email: string, entry: Profile["suppressions"][string]): void {
  p.suppressions[email] = entry;
  dropOldest(p.suppressions, MAX_SUPPRESSIONS);
}

/** Drops the entries with the oldest `at` (the first such key on a tie) until `max` are left. */
function dropOldest(map: Record<string, { at: number }>, max: number): void {
  let keys = Object.keys(map);
  while (keys.length > max) {
    let oldest = keys[0]!;
    for (const k of keys) if (map[k]!.at < map[oldest]!.at) oldest = k;
    delete map[oldest];
    keys = keys.filter((k) => k !== oldest);
  }
}

/** Drops the older half of a list kept oldest first. */
const olderHalf = (list: unknown[]) => void list.splice(0, Math.ceil(list.length / 2));
/** Drops the older half of a list kept newest first. */
const olderHalfFromEnd = (list: unknown[]) => void list.splice(Math.floor(list.length / 2));
/** Drops the half of a map's entries that `rank` puts first. */
function dropHalf<V>(map: Record<string, V>, rank: (a: V, b: V, ka: string, kb: string) => number): void {
  const keys = Object.keys(map).sort((a, b) => rank(map[a]!, map[b]!, a, b));
  for (const k of keys.slice(0, Math.ceil(keys.length / 2))) delete map[k];
}

/**
 * What a trim takes when a document is over MAX_PROFILE_BYTES: the older half (for the
 * traits, the larger half) of the largest of these. The caps above keep a profile well
 * under the bound for ordinary text; only strings at their longest in characters JSON must
 * escape (each becomes `\u0001`, six bytes) can take it past, and losing old entries is
 * then the price of a write that stays cheap. Suppressions are never trimmed: mailing
 * someone who complained is the worse error.
 */
const TRIMMABLE: { of: (p: Profile) => object | undefined; drop: (p: Profile) => void }[] = [
  { of: (p) => p.session?.views, drop: (p) => olderHalfFromEnd(p.session!.views) },
  { of: (p) => p.groups, drop: (p) => dropHalf(p.groups, (a, b) => a.at - b.at) },
  { of: (p) => p.wishlist, drop: (p) => olderHalf(p.wishlist) },
  { of: (p) => p.interests.products, drop: (p) => dropHalf(p.interests.products, (a, b) => a.t - b.t) },
  { of: (p) => p.interests.categories, drop: (p) => dropHalf(p.interests.categories, (a, b) => a.t - b.t) },
  { of: (p) => p.cart?.items, drop: (p) => olderHalf(p.cart!.items) },
  { of: (p) => p.purchases.orders, drop: (p) => olderHalfFromEnd(p.purchases.orders) },
  {
    of: (p) => p.traits,
    drop: (p) => dropHalf(p.traits, (a, b, ka, kb) => entryChars(kb, b) - entryChars(ka, a)),
  },
  { of: (p) => p.anonymousIds, drop: (p) => olderHalf(p.anonymousIds) },
  { of: (p) => p.recipientIds, drop: (p) => olderHalf(p.recipientIds) },
  { of: (p) => p.userIds, drop: (p) => olderHalf(p.userIds) },
  { of: (p) => p.emails, drop: (p) => olderHalf(p.emails) },
];

/** The profile as stored: its JSON, trimmed (a copy) when over MAX_PROFILE_BYTES. */
export function serializeProfile(p: Profile): string {
  let json = JSON.stringify(p);
  // A JSON character is at most 3 UTF-8 bytes: nearly every document needs no exact count.
  if (json.length * 3 <= MAX_PROFILE_BYTES || byteLength(json) <= MAX_PROFILE_BYTES) return json;
  const q = parseProfile(json);
  for (;;) {
    let largest: (typeof TRIMMABLE)[number] | undefined;
    let size = 2; // an empty list or map: nothing to take
    for (const t of TRIMMABLE) {
      const c = t.of(q);
      const n = c ? JSON.stringify(c).length : 0;
      if (n > size) {
        largest = t;
        size = n;
      }
    }
    if (!largest) return json;
    largest.drop(q);
    json = JSON.stringify(q);
    if (byteLength(json) <= MAX_PROFILE_BYTES) return json;
  }
}
