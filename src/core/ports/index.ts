// Ports: the small interfaces the app needs from the outside world. Adapters live in
// src/node (SQLite, pino, …) and src/core/testing (in-memory fakes). The core never
// imports an adapter.
import type { TrafficClass } from "../tracking/classify.js";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Cryptographically strong random bytes (crypto.getRandomValues in every runtime). */
export type RandomBytes = (n: number) => Uint8Array;

export interface LinkRecord {
  id: string;
  url: string;
  campaign: string | null;
  createdAt: number;
}

export interface LinkStore {
  /**
   * Stores links, all in one write (a wrapped email registers its hundreds of links with one
   * commit, not one each); with a campaign, the same URL in the same campaign keeps one id.
   * Returns the stored records, in order.
   */
  put(links: readonly LinkRecord[]): Promise<LinkRecord[]>;
  get(id: string): Promise<LinkRecord | null>;
}

export type TrackKind = "open" | "click";

export interface TrackEvent {
  at: number;
  kind: TrackKind;
  campaign: string;
  linkId: string | null;
  recipient: string | null;
  class: TrafficClass;
  reasons: string[];
  ip: string | null;
  userAgent: string | null;
  method: string;
  /**
   * Set on a correction, not a hit: the hit logged earlier with the same `at`, kind,
   * campaign, link and recipient, classified `corrects` then, is `class` (a link scanner's
   * first clicks, known for one only when its burst shows it: tracking/recent-activity.ts).
   * The log stays append-only; whatever counts hits (totals by class, uniques, email
   * activity) moves the hit from `corrects` to `class`, and counts nothing new.
   */
  corrects?: TrafficClass;
}

export interface KindStats {
  total: number;
  unique: number;
  byClass: Record<string, number>;
  uniqueByClass: Record<string, number>;
}

export interface CampaignStats {
  opens: KindStats;
  clicks: KindStats;
}

export interface EventLog {
  /** Appends a batch atomically: all of it or none of it (one transaction). */
  append(batch: readonly TrackEvent[]): Promise<void>;
  /**
   * Resolves once what is derived from the log in the background (a person's email
   * activity) covers every batch appended before the call. Absent: derived at append.
   */
  settle?(): Promise<void>;
  campaignStats(campaign: string): Promise<CampaignStats>;
  /**
   * Hits of a campaign in [from, to) counted per bucket of `interval` ms (bucket 0 starts at
   * `from`), kind and class; a correction counts -1 for its old class. Absent: no series.
   */
  campaignSeries?(campaign: string, from: number, to: number, interval: number): Promise<SeriesCount[]>;
  /** Campaigns with hits, by name, with their totals (at most `limit`). */
  campaigns?(limit: number): Promise<{ campaign: string; opens: number; clicks: number }[]>;
}

export interface SeriesCount {
  bucket: number;
  kind: TrackKind;
  class: string;
  n: number;
}

export const BLOCK_TYPES = [
  "countdown",
  "price",
  "weather",
  "recs",
  "banner",
  "data",
  "poll",
  "offer",
] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];

/** A live image definition. Options are the type's validated JSON; editable after send. */
export interface BlockRecord {
  id: string;
  type: BlockType;
  options: Record<string, unknown>;
  /** Bumped on every edit: part of every render cache key, so an edit shows at the next open. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface BlockStore {
  create(block: BlockRecord): Promise<void>;
  get(id: string): Promise<BlockRecord | null>;
  /** Replaces the options and bumps the version; null when there is no such block. */
  update(id: string, options: Record<string, unknown>, at: number): Promise<BlockRecord | null>;
  delete(id: string): Promise<boolean>;
  /** When this recipient first saw this block: recorded once (the first call wins), then read. */
  firstSeen(blockId: string, recipient: string, at: number): Promise<number>;
  /** The recorded first-seen time, recording nothing (the operator's preview); null when none. */
  peekFirstSeen?(blockId: string, recipient: string): Promise<number | null>;
  /** The most recently changed blocks first (at most `limit`); absent: no list. */
  list?(limit: number): Promise<BlockRecord[]>;
}

export interface Store {
  links: LinkStore;
  events: EventLog;
  blocks: BlockStore;
  /** True when the store answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
