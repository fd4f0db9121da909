// Live content at open: data sources behind `data` blocks, poll votes, coupon pools and the
// offers that hand their codes out. SQLite implements them in src/node/sqlite/live-store.ts.

export const SOURCE_FORMATS = ["json", "csv"] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];
/** interval: fetched at most once per `everySeconds` (opens in between share it); live: at each open. */
export const SOURCE_MODES = ["interval", "live"] as const;
export type SourceMode = (typeof SOURCE_MODES)[number];

export interface SourceRecord {
  id: string;
  name: string;
  /** May hold {{recipient}} or {{trait.path}}: a per-recipient source (values URL-escaped). */
  url: string;
  format: SourceFormat;
  mode: SourceMode;
  everySeconds: number;
  /** The strict budget an open waits for a fetch (live mode, or a cold interval cache). */
  timeoutMs: number;
  maxBytes: number;
  /** Header name → the name of an environment variable holding its value (never the value). */
  headersFromEnv: Record<string, string>;
  /** A numeric path whose recent values are kept for sparklines. */
  historyPath: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SourceStore {
  save(source: SourceRecord): Promise<void>;
  get(id: string): Promise<SourceRecord | null>;
  list(): Promise<SourceRecord[]>;
  delete(id: string): Promise<boolean>;
}

export interface PollStore {
  /** One vote per recipient and poll: a later vote replaces the earlier one. */
  vote(pollId: string, recipient: string, option: string, at: number): Promise<void>;
  /** Votes per option (options nobody chose are absent). */
  tally(pollId: string): Promise<Record<string, number>>;
  /** Erasure: the person's votes go (the tallies drop them); returns the rows removed. */
  eraseRecipient(recipient: string): Promise<number>;
}

export interface CouponUpload {
  added: number;
  /** Codes repeated inside the upload, or already in the pool: kept once, reported here. */
  duplicates: string[];
}

export interface PoolStats {
  pool: string;
  total: number;
  assigned: number;
  redeemed: number;
  available: number;
}

/** One offer level as a grant may take it: its name, the pool its codes come from, its campaign cap. */
export interface GrantLevel {
  level: string;
  pool: string | null;
  /** At most this many people of the offer get this level (null: no cap). */
  cap: number | null;
}

export interface Grant {
  level: string;
  /** null: the level has no pool, or its pool was empty when the person was granted it. */
  code: string | null;
  at: number;
}

export interface CouponStore {
  addCodes(pool: string, codes: readonly string[], at: number): Promise<CouponUpload>;
  stats(pool: string): Promise<PoolStats>;
  /**
   * The offer's grant for this person: the one already made, else the first level of
   * `levels` (best first) under its cap, with an unassigned code of its pool, all in ONE
   * transaction, so parallel first opens never share a code or grant a person twice.
   */
  grant(offerId: string, recipient: string, levels: readonly GrantLevel[], at: number): Promise<Grant | null>;
  /** The grant already made (null: none yet), writing nothing. */
  grantOf(offerId: string, recipient: string): Promise<Grant | null>;
  /** Marks an assigned code redeemed (any pool); false when no such assigned code is known. */
  redeem(code: string, at: number): Promise<boolean>;
  /**
   * Erasure: the person's grants go, and their codes stay taken under no name (a code once
   * handed out is never handed to anyone else); returns the rows changed.
   */
  eraseRecipient(recipient: string): Promise<number>;
}
