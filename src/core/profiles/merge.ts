import type { Decayed, Profile } from "../ports/profiles.js";
import { dict } from "../util/dict.js";
import { addLtv, putGroup, putTraits, suppress } from "./bounds.js";
import {
  addDecayed,
  decayedAt,
  ENGAGEMENT_WEIGHT,
  HALF_LIFE,
  MAX_HISTORY,
  MAX_INTERESTS,
  MAX_ORDERS,
  MAX_SESSION_VIEWS,
  mergeDecayed,
  pushUnique,
  SESSION_IDLE_MS,
} from "./model.js";

function mergeInterests(a: Record<string, Decayed>, b: Record<string, Decayed>): Record<string, Decayed> {
  const out = dict(a);
  for (const [k, v] of Object.entries(b))
    out[k] = out[k] ? mergeDecayed(out[k]!, v, HALF_LIFE.interest) : { ...v };
  const keys = Object.keys(out);
  if (keys.length <= MAX_INTERESTS) return out;
  const now = Math.max(...keys.map((k) => out[k]!.t));
  keys.sort(
    (x, y) => decayedAt(out[y]!, now, HALF_LIFE.interest) - decayedAt(out[x]!, now, HALF_LIFE.interest),
  );
  return dict(Object.fromEntries(keys.slice(0, MAX_INTERESTS).map((k) => [k, out[k]!])));
}

/**
 * Folds `loser` into `winner` (both are the same person, as an alias or an event carrying
 * both ids says). Every counter is added, never recomputed, so nothing is counted twice
 * or lost: each event was applied to exactly one of the two profiles. Decayed scores
 * add exactly because they share one half-life (see addDecayed). Used when the two are
 * too big to rebuild from their events (replay.ts: MAX_REPLAY_EVENTS); what depends on
 * order (session, cart, intent after a purchase) is then this approximation.
 */
export function mergeInto(winner: Profile, loser: Profile): void {
  const w = winner;
  const l = loser;
  mergeIdentities(w, l);
  w.createdAt = Math.min(w.createdAt, l.createdAt);
  w.lastSeenAt = Math.max(w.lastSeenAt, l.lastSeenAt);
  if (l.appliedThrough !== undefined)
    w.appliedThrough = Math.max(w.appliedThrough ?? l.appliedThrough, l.appliedThrough);

  // The more recently identified side wins a trait both have.
  putTraits(w, l.traits, l.traitsAt > w.traitsAt);
  w.traitsAt = Math.max(w.traitsAt, l.traitsAt);
  for (const [g, v] of Object.entries(l.groups))
    if (!w.groups[g] || w.groups[g]!.at < v.at) putGroup(w, g, v.traits, v.at);
  for (const [k, n] of Object.entries(l.counts)) w.counts[k] = (w.counts[k] ?? 0) + n;
  w.history = [...w.history, ...l.history].sort((a, b) => b.at - a.at).slice(0, MAX_HISTORY);

  const pw = w.purchases;
  const pl = l.purchases;
  // The same order id seen on both sides (reported under two ids) is counted once.
  const ids = new Set(pw.orders.map((o) => o.orderId));
  for (const o of pl.orders) {
    if (ids.has(o.orderId)) {
      pl.count--;
      pl.ltv[o.currency] = (pl.ltv[o.currency] ?? 0) - o.amount;
    } else pw.orders.push(o);
  }
  pw.orders.sort((a, b) => b.at - a.at);
  if (pw.orders.length > MAX_ORDERS) pw.orders.length = MAX_ORDERS;
  pw.count += pl.count;
  for (const [c, v] of Object.entries(pl.ltv)) addLtv(w, c, v);
  pw.lastAt = Math.max(pw.lastAt ?? 0, pl.lastAt ?? 0) || null;

  w.interests = {
    products: mergeInterests(w.interests.products, l.interests.products),
    categories: mergeInterests(w.interests.categories, l.interests.categories),
  };
  w.engagement = mergeDecayed(w.engagement, l.engagement, HALF_LIFE.engagement);
  w.intent = mergeDecayed(w.intent, l.intent, HALF_LIFE.intent);

  // Sessions: the latest one lives on; if the other overlaps it (same visit seen under
  // two ids), its views join in.
  const [late, early] =
    (w.session?.lastActivityAt ?? 0) >= (l.session?.lastActivityAt ?? 0)
      ? [w.session, l.session]
      : [l.session, w.session];
  if (late && early && early.lastActivityAt + SESSION_IDLE_MS >= late.startedAt) {
    late.startedAt = Math.min(late.startedAt, early.startedAt);
    late.events += early.events;
    late.views = [...late.views, ...early.views].sort((a, b) => b.at - a.at).slice(0, MAX_SESSION_VIEWS);
    // Two overlapping sessions were one visit: the second "visit" was counted twice.
    if (w.counts.sessions) w.counts.sessions--;
    addDecayed(w.engagement, -ENGAGEMENT_WEIGHT.visit, early.startedAt, HALF_LIFE.engagement);
  }
  w.session = late ?? null;
  // The cart most recently touched is the live one.
  if (l.cart && (!w.cart || l.cart.updatedAt > w.cart.updatedAt)) w.cart = l.cart;
  for (const id of l.wishlist) pushUnique(w.wishlist, id);

  const mw = w.email;
  const ml = l.email;
  mw.delivered += ml.delivered;
  mw.opens += ml.opens;
  mw.clicks += ml.clicks;
  mw.machineOpens += ml.machineOpens;
  mw.machineClicks += ml.machineClicks;
  for (const [k, n] of Object.entries(ml.machineByClass))
    mw.machineByClass[k] = (mw.machineByClass[k] ?? 0) + n;
  mw.bounces += ml.bounces;
  mw.complaints += ml.complaints;
  mw.lastOpenAt = Math.max(mw.lastOpenAt ?? 0, ml.lastOpenAt ?? 0) || null;
  mw.lastClickAt = Math.max(mw.lastClickAt ?? 0, ml.lastClickAt ?? 0) || null;
  mw.lastDeliveredAt = Math.max(mw.lastDeliveredAt ?? 0, ml.lastDeliveredAt ?? 0) || null;
  mw.hours = mw.hours.map((n, i) => n + (ml.hours[i] ?? 0));

  for (const [ch, c] of Object.entries(l.consent))
    if (!w.consent[ch] || w.consent[ch]!.at < c.at) w.consent[ch] = c;
  // Suppressions are kept from both sides: mailing someone who complained is the worse error.
  for (const [email, entry] of Object.entries(l.suppressions))
    if (!(email in w.suppressions)) suppress(w, email, entry);
}

/**
 * The loser's ids join the winner's (its user id only when the winner has none). What the
 * two profiles' events made of them is the caller's: added up by mergeInto, or rebuilt
 * from both histories (time-order.ts).
 */
export function mergeIdentities(w: Profile, l: Profile): void {
  w.updatedAt = Math.max(w.updatedAt, l.updatedAt);
  w.userId ??= l.userId;
  for (const id of l.userIds) pushUnique(w.userIds, id);
  for (const id of l.anonymousIds) pushUnique(w.anonymousIds, id);
  for (const id of l.emails) pushUnique(w.emails, id);
  for (const id of l.recipientIds) pushUnique(w.recipientIds, id);
}
