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
  /** Stores a link; with a campaign, the same URL in the same campaign keeps one id. Returns the stored record. */
  put(link: LinkRecord): Promise<LinkRecord>;
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
  campaignStats(campaign: string): Promise<CampaignStats>;
}

export interface Store {
  links: LinkStore;
  events: EventLog;
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
