// Ports for the live profile: what the profile service needs from storage. Adapters:
// src/core/testing/memory-profile-store.ts (fake) and src/node/sqlite/profile-store.ts.
// One contract suite (test/contract/profile-store.contract.ts) holds them to the same rules.
import type { TrafficClass } from "../tracking/classify.js";

/**
 * An ESP event as the webhook verifiers hand it over (one per delivered/opened/… message).
 * `id` is the provider's event id: the profile service deduplicates by `provider + id`.
 */
export interface EmailEvent {
  provider: string;
  type: "delivered" | "open" | "click" | "bounce" | "complaint" | "unsubscribe" | "deferred" | "dropped";
  email: string;
  /** Unix ms. */
  at: number;
  id: string;
  /** An open or click made by a machine (Apple MPP, proxy, scanner): not human engagement. */
  machine?: boolean;
  url?: string;
  bounce?: "hard" | "soft";
  recipientId?: string;
  campaign?: string;
  /** The opentime send attempt this is about (the `opentime_send` custom arg sending adds). */
  sendId?: string;
  /** The provider's id of the message (joins events back to a send without custom args). */
  messageId?: string;
}

/** A value that halves every half-life: worth `v` at time `t` (Unix ms). */
export interface Decayed {
  v: number;
  t: number;
}

export interface HistoryEntry {
  at: number;
  type: string;
  event?: string;
  productId?: string;
  value?: number;
  campaign?: string;
  class?: TrafficClass | "machine";
}

export interface CartItem {
  productId: string;
  sku?: string;
  name?: string;
  category?: string;
  variant?: string;
  price?: number;
  quantity: number;
}

export interface OrderSummary {
  orderId: string;
  at: number;
  amount: number;
  currency: string;
  products: number;
  status: "completed" | "updated" | "refunded" | "cancelled";
}

export interface Session {
  startedAt: number;
  lastActivityAt: number;
  events: number;
  views: { productId: string; name?: string; category?: string; price?: number; at: number }[];
}

/** Everything opentime keeps about one person, as stored (times in Unix ms). */
export interface Profile {
  id: string;
  createdAt: number;
  updatedAt: number;
  lastSeenAt: number;
  /**
   * The time of the newest event applied. An event older than it is not applied on top:
   * the profile is rebuilt from its stored events in time order (profiles/time-order.ts).
   * Absent until the first event is applied (and in documents stored before it existed).
   */
  appliedThrough?: number;
  userId: string | null;
  userIds: string[];
  anonymousIds: string[];
  emails: string[];
  recipientIds: string[];
  traits: Record<string, unknown>;
  traitsAt: number;
  groups: Record<string, { traits: Record<string, unknown>; at: number }>;
  counts: Record<string, number>;
  history: HistoryEntry[];
  purchases: { count: number; ltv: Record<string, number>; orders: OrderSummary[]; lastAt: number | null };
  interests: { products: Record<string, Decayed>; categories: Record<string, Decayed> };
  session: Session | null;
  cart: { items: CartItem[]; cartId?: string; currency: string; updatedAt: number } | null;
  wishlist: string[];
  engagement: Decayed;
  intent: Decayed;
  email: {
    delivered: number;
    opens: number;
    clicks: number;
    machineOpens: number;
    machineClicks: number;
    machineByClass: Record<string, number>;
    bounces: number;
    complaints: number;
    lastOpenAt: number | null;
    lastClickAt: number | null;
    lastDeliveredAt: number | null;
    /** Human opens and clicks by UTC hour of day (send-time choice). */
    hours: number[];
  };
  consent: Record<string, { granted: boolean; at: number; source: string }>;
  /** Addresses that must not be mailed, with why. */
  suppressions: Record<
    string,
    { reason: "hard_bounce" | "complaint" | "unsubscribe"; at: number; source: string }
  >;
}

/**
 * Opens and clicks from opentime's own URLs for one recipient key (`e:<email>` or
 * `r:<ESP id>`), summed; see src/core/profiles/activity.ts for why it is kept apart.
 */
export interface ActivityRow {
  key: string;
  opens: number;
  clicks: number;
  machineOpens: number;
  machineClicks: number;
  machineByClass: Record<string, number>;
  lastOpenAt: number | null;
  lastClickAt: number | null;
  /** Human opens and clicks by UTC hour of day. */
  hours: number[];
  /** Decayed engagement from these opens and clicks (weights as in the profile's). */
  engagement: Decayed;
  firstAt: number;
  lastAt: number;
  /**
   * In a delta only: the first and last time of clicks it corrects from human
   * (TrackEvent.corrects). A stored `lastClickAt` between them was one of them: it becomes
   * the delta's own `lastClickAt` if that is earlier, else null (the click before is not kept).
   */
  reclassifiedClicks?: { from: number; to: number };
}

/** One accepted inbound event, kept verbatim (normalised) for export, erasure and rebuilds. */
export interface StoredEvent {
  /** Arrival order among stored events (set by the store when read back). */
  seq?: number;
  profileId: string;
  messageId: string;
  type: string;
  event: string | null;
  at: number;
  receivedAt: number;
  body: string;
}

/** Everything one group commit writes, applied atomically (all or nothing). */
export interface ProfileWrite {
  /** Profiles merged into another: their events move to `to`, then they are deleted. */
  merged: { from: string; to: string }[];
  /** Identity key (e.g. "u:42", "a:anon-1", "e:ann@x.com", "r:esp-7") → profile id. */
  identities: [key: string, profileId: string][];
  profiles: Profile[];
  events: StoredEvent[];
  /** Dedupe keys first seen in this commit (message ids, provider event ids). */
  seen: [key: string, at: number][];
  /**
   * Addresses a profile named that another profile holds (a shared inbox: two users who
   * identified with one address). Erasing the address clears it from these too.
   */
  emailRefs: [email: string, profileId: string][];
}

/** A profile that named an erased address, rewritten without it (see redact.ts). */
export interface ScrubbedProfile {
  profile: Profile;
  /** Its stored events that held the address, by `seq`, with their new bodies. */
  events: { seq: number; body: string }[];
}

export interface EraseRequest {
  /** The stored profile to delete; null for a person known only from email activity. */
  profileId: string | null;
  /** Values that may appear as `recipient` in the opens/clicks log. */
  recipients: string[];
  /** Their email activity rows' keys. */
  activityKeys: string[];
  /** HMACs of the person's identity keys, kept so a later event does not re-create them. */
  hashes: string[];
  at: number;
  /** The person's addresses: no profile's email references to them are kept. */
  emails?: string[];
  /** Other people's profiles that named one of those addresses, without it now. */
  scrubbed?: ScrubbedProfile[];
}

export interface EraseResult {
  events: number;
  identities: number;
  tracking: number;
  other: number;
}

export interface TrackingRow {
  at: number;
  kind: string;
  campaign: string;
  linkId: string | null;
  recipient: string;
  class: string;
  /** A correction of an earlier row (TrackEvent.corrects): its class then; null for a hit. */
  corrects?: string | null;
}

/**
 * The reads and the write of one group commit, synchronous, inside one store transaction
 * that holds the write lock from its first read (see ProfileStore.transact).
 */
export interface ProfileTx {
  lookup(keys: readonly string[]): Map<string, string>;
  get(ids: readonly string[]): Map<string, Profile>;
  /**
   * Every stored event of these profiles, oldest first (by time, then arrival), each with
   * its `seq`; null when they hold more than `max` (a rebuild would cost too much).
   */
  history(profileIds: readonly string[], max: number): StoredEvent[] | null;
  seen(keys: readonly string[]): Set<string>;
  erased(hashes: readonly string[]): Set<string>;
  commit(write: ProfileWrite): void;
}

export interface ProfileStore {
  /** Profile ids for the identity keys that are known. */
  lookup(keys: readonly string[]): Promise<Map<string, string>>;
  get(ids: readonly string[]): Promise<Map<string, Profile>>;
  /** Every identity key that points at a profile. */
  keysOf(profileId: string): Promise<string[]>;
  /** Which of these dedupe keys were already committed. */
  seen(keys: readonly string[]): Promise<Set<string>>;
  /** Which of these identity hashes belong to an erased person. */
  erased(hashes: readonly string[]): Promise<Set<string>>;
  commit(write: ProfileWrite): Promise<void>;
  /** The person's accepted events, oldest first; with `limit`, the latest that many. */
  events(profileId: string, limit?: number): Promise<StoredEvent[]>;
  /** Opens and clicks logged under any of these recipients, oldest first; with `limit`, the latest that many. */
  tracking(recipients: readonly string[], limit?: number): Promise<TrackingRow[]>;
  /** Email activity rows for these recipient keys (those that have one). */
  activity(keys: readonly string[]): Promise<ActivityRow[]>;
  /**
   * Adds per-key deltas in one transaction. A key with no row yet gets one only when its
   * HMAC is in `hashes` and not on the erased list; otherwise its delta is dropped (an
   * erased person, or one erased since the caller looked). Returns the dropped keys.
   */
  addActivity(deltas: readonly ActivityRow[], hashes: ReadonlyMap<string, string>): Promise<Set<string>>;
  erase(req: EraseRequest): Promise<EraseResult>;
  /** The profiles other than the owner that named each of these addresses (emailRefs), by profile id. */
  emailHolders(emails: readonly string[]): Promise<Map<string, string[]>>;
  /**
   * Optional. Makes what was deleted unrecoverable from the store's files (SQLite: deleted
   * content is zeroed as it goes; this copies the WAL into the database file and truncates
   * it, so no old page version is left in either). Called after an erasure.
   */
  expunge?(): Promise<void>;
  /** Profile ids in id order after `after` (from the start when null), at most `limit`: a bounded scan for sweeps. */
  profileIds(after: string | null, limit: number): Promise<string[]>;
  /** Forgets dedupe keys older than `before` (bounded retention); returns how many. */
  pruneSeen(before: number, max: number): Promise<number>;
  /**
   * Runs `fn` synchronously in ONE transaction that takes the write lock before its first
   * read (SQLite: BEGIN IMMEDIATE). The service reads and writes each group under it, so
   * another writer's commit cannot land between a group's reads and its write (a lost
   * update, or a person re-created after erasure), and a group may read a person's stored
   * events in the middle of applying (a late event or a merge rebuilds the profile from
   * them). Synchronous so that nothing else on the thread runs while the lock is held.
   */
  transact<T>(fn: (tx: ProfileTx) => T): T;
}
