import type { Decayed, Profile } from "../ports/profiles.js";
import { dict } from "../util/dict.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Half-lives. Engagement decays over two weeks: a person who opened and clicked last month
 * but not since is fading, and tiers should follow within a few sends. Interests last a
 * month (taste changes slowly). Purchase intent is about the next hours: a cart from this
 * morning matters, one from last week is an abandoned-cart flow's business, not intent.
 */
export const HALF_LIFE = {
  engagement: 14 * DAY,
  interest: 30 * DAY,
  intent: 12 * HOUR,
} as const;

/** Engagement weights: a click says more than an open, a purchase more than anything. */
export const ENGAGEMENT_WEIGHT = { open: 1, click: 3, visit: 2, purchase: 5 } as const;
/** Tiers on the decayed engagement score (e.g. weekly opens + a monthly click ≈ 12 → high). */
export const ENGAGEMENT_TIERS = { high: 10, medium: 3 } as const;

/** A session ends after 30 minutes without activity (the web-analytics convention). */
export const SESSION_IDLE_MS = 30 * 60_000;

// Bounds: a profile is one JSON document rewritten on every change, so every collection in
// it is capped to keep a write cheap whatever a client sends (bounds.ts applies the caps of
// the maps; README "Profiles" lists them all). Strings in it are cut to 200 characters
// (ids 256, addresses 320), event bodies to 32 KB.
export const MAX_HISTORY = 100;
export const MAX_ORDERS = 50;
export const MAX_INTERESTS = 50;
export const MAX_IDS = 50;
export const MAX_SESSION_VIEWS = 50;
export const MAX_CART_ITEMS = 100;
export const MAX_TRAITS = 200;
/** The traits as JSON, in characters: 200 small traits fit; a few huge ones do not. */
export const MAX_TRAITS_CHARS = 16 * 1024;
export const MAX_WISHLIST = 100;
/** Groups (Segment `group` calls) kept, the most recent. */
export const MAX_GROUPS = 50;
/** One group's traits as JSON, in characters (its first keys that fit). */
export const MAX_GROUP_TRAITS_CHARS = 2 * 1024;
/** Currencies lifetime value is kept in (orders in others are counted, not summed). */
export const MAX_CURRENCIES = 20;
/** Suppressed addresses kept, the most recent (a person rarely has more than a few). */
export const MAX_SUPPRESSIONS = 100;
/** The largest stored profile (UTF-8 JSON); past it the oldest entries are trimmed (bounds.ts). */
export const MAX_PROFILE_BYTES = 256 * 1024;

export function emptyProfile(id: string, at: number): Profile {
  return {
    id,
    createdAt: at,
    updatedAt: at,
    lastSeenAt: at,
    userId: null,
    userIds: [],
    anonymousIds: [],
    emails: [],
    recipientIds: [],
    traits: dict(),
    traitsAt: 0,
    groups: dict(),
    counts: dict(),
    history: [],
    purchases: { count: 0, ltv: dict(), orders: [], lastAt: null },
    interests: { products: dict(), categories: dict() },
    session: null,
    cart: null,
    wishlist: [],
    engagement: { v: 0, t: at },
    intent: { v: 0, t: at },
    email: {
      delivered: 0,
      opens: 0,
      clicks: 0,
      machineOpens: 0,
      machineClicks: 0,
      machineByClass: dict(),
      bounces: 0,
      complaints: 0,
      lastOpenAt: null,
      lastClickAt: null,
      lastDeliveredAt: null,
      hours: new Array(24).fill(0),
    },
    consent: dict(),
    suppressions: dict(),
  };
}

/**
 * A stored profile document as a Profile whose maps keyed by user strings (traits, groups,
 * interests, lifetime value by currency, …) are null-prototype objects again (util/dict.ts
 * says why): JSON.parse and structuredClone give them Object.prototype back.
 */
export function reviveProfile(p: Profile): Profile {
  p.traits = dict(p.traits);
  p.groups = dict(p.groups);
  p.counts = dict(p.counts);
  p.purchases.ltv = dict(p.purchases.ltv);
  p.interests = { products: dict(p.interests.products), categories: dict(p.interests.categories) };
  p.email.machineByClass = dict(p.email.machineByClass);
  p.consent = dict(p.consent);
  p.suppressions = dict(p.suppressions);
  return p;
}

export const parseProfile = (doc: string): Profile => reviveProfile(JSON.parse(doc) as Profile);

/** The value of `d` at time `at`. Events from the future (clock skew) count at full weight. */
export function decayedAt(d: Decayed, at: number, halfLife: number): number {
  const dt = at - d.t;
  return dt <= 0 ? d.v : d.v * 2 ** (-dt / halfLife);
}

/**
 * Adds `w` happening at `at`. Order-independent: an event older than the stored reference
 * time is decayed to it, a newer one moves the reference forward. So late or out-of-order
 * events give the same score as in-order ones, and merging two profiles is plain addition.
 */
export function addDecayed(d: Decayed, w: number, at: number, halfLife: number): void {
  if (at >= d.t) {
    d.v = decayedAt(d, at, halfLife) + w;
    d.t = at;
  } else {
    d.v += w * 2 ** (-(d.t - at) / halfLife);
  }
}

export function mergeDecayed(a: Decayed, b: Decayed, halfLife: number): Decayed {
  const t = Math.max(a.t, b.t);
  return { v: decayedAt(a, t, halfLife) + decayedAt(b, t, halfLife), t };
}

/** Adds to a bounded map of decayed scores, dropping the weakest entry when full. */
export function bumpInterest(map: Record<string, Decayed>, key: string, w: number, at: number): void {
  const cur = map[key];
  if (cur) {
    addDecayed(cur, w, at, HALF_LIFE.interest);
    return;
  }
  map[key] = { v: w, t: at };
  const keys = Object.keys(map);
  if (keys.length <= MAX_INTERESTS) return;
  let weakest = key;
  let low = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    const v = decayedAt(map[k]!, at, HALF_LIFE.interest);
    if (v < low) {
      low = v;
      weakest = k;
    }
  }
  delete map[weakest];
}

export function pushUnique(list: string[], value: string, max = MAX_IDS): void {
  if (list.includes(value)) return;
  list.push(value);
  if (list.length > max) list.splice(0, list.length - max);
}

export function count(p: Profile, key: string, by = 1): void {
  p.counts[key] = (p.counts[key] ?? 0) + by;
}
