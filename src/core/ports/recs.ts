// Port for what recommendations learn from events and read at open: co-occurrence (viewed
// together, bought together) bounded to the top K per product, time-decayed popularity
// (trending views, best sellers), each person's recently viewed and bought products, and
// the few catalog reads the engine needs in bulk. SQLite: src/node/sqlite/recs-store.ts.
// Writes are small synchronous calls (one delta per profile group commit, inside its
// transaction); reads are async like the other ports'.

import type { ProductRecord } from "./catalog.js";

export type RecsSignal = "view" | "buy";

/** What one group of ingested events adds (recs/signals.ts derives it from the group's write). */
export interface RecsDelta {
  /** Co-occurrence, one row per direction (a → b and b → a are two rows). */
  pairs: { kind: RecsSignal; a: string; b: string; w: number; at: number }[];
  /** Popularity: views feed "trending", orders "best sellers". */
  popular: {
    kind: RecsSignal;
    id: string;
    w: number;
    at: number;
    category: string | null;
    brand: string | null;
  }[];
  /** The person's own products, newest kept. */
  person: { profileId: string; kind: RecsSignal; id: string; at: number }[];
  /** Profiles merged into another: their rows move to `to`. */
  merged: { from: string; to: string }[];
}

export interface PersonItem {
  id: string;
  at: number;
}

export interface RecsScope {
  category?: string;
  brand?: string;
}

export interface RecsStore {
  /** Adds a delta; synchronous so it joins the caller's transaction (the profile group commit). */
  apply(delta: RecsDelta): void;
  /** Forgets a person's products (erasure). */
  erasePerson(profileId: string): void;
  /** Newest first, at most MAX_PERSON_ITEMS per kind. */
  person(profileId: string): Promise<{ viewed: PersonItem[]; bought: PersonItem[] }>;
  /** The strongest co-occurring products of `id`, best first. */
  related(kind: RecsSignal, id: string, limit: number): Promise<string[]>;
  /** The most popular products now (decayed), best first, optionally in one category or brand. */
  popular(kind: RecsSignal, scope: RecsScope, limit: number): Promise<string[]>;
  /** Products by id (missing ones left out), in no particular order. */
  products(ids: readonly string[]): Promise<ProductRecord[]>;
  /** Products created at or after `since`, newest first, optionally in one category. */
  newest(category: string | null, since: number, limit: number): Promise<ProductRecord[]>;
}

/** Co-occurring products kept per product and kind: a bounded top K, the weakest dropped. */
export const MAX_RELATED = 40;
/** Viewed and bought products kept per person and kind. */
export const MAX_PERSON_ITEMS = 50;

/**
 * Decay without rewriting: a weight added at `at` is stored as w·2^((at − EPOCH)/H), so the
 * stored sums order exactly as the decayed values do at any instant and an index on them
 * answers "top now". Doubles hold 2^1023: with H = 7 days that lasts ~19 years past EPOCH.
 */
export const DECAY_EPOCH = Date.UTC(2025, 0, 1);
export const DECAY_HALF_LIFE = {
  /** Trending: what people look at this week. */
  view: 7 * 86_400_000,
  /** Best sellers: orders of the last months. */
  buy: 30 * 86_400_000,
  /** Co-occurrence fades slowly (a season). */
  pair: 90 * 86_400_000,
} as const;

export function decayedWeight(w: number, at: number, halfLife: number): number {
  return w * 2 ** ((at - DECAY_EPOCH) / halfLife);
}
