// Port for what the learning half keeps: counters per block arm, slot and currency (the
// bandit's stats and the stats API), each person's last human click (attribution), the
// orders credited, and trained score models. Adapters: in-memory
// (src/core/learning/memory-store.ts) and SQLite (src/node/sqlite/learning-store.ts),
// one contract suite (test/contract/learning-store.test.ts). Methods may be synchronous
// (SQLite: small batched writes); callers await them either way.

type Maybe<T> = T | Promise<T>;

/** Counter increments for one block arm (a variant, or later a strategy) and slot. */
export interface CountDelta {
  blockId: string;
  /** A variant name ("default" included), or another kind of arm such as "strategy:<name>". */
  arm: string;
  /** "" for the arm's impressions; the clicked slot for clicks and credited orders. */
  slot: string;
  /** "" except on orders: their currency (revenue is never summed across currencies). */
  currency: string;
  impressions: number;
  clicks: number;
  orders: number;
  revenue: number;
}

export type CountRow = CountDelta;

/** A person's last human click on an adaptive link (last-click attribution). */
export interface Touch {
  /** The recipient as an activity key (`e:<email>`, `r:<id>`; profiles/identity.ts). */
  key: string;
  blockId: string;
  arm: string;
  slot: string;
  /** Where the click went (a product's URL, for matching the order's products). */
  url: string;
  /** The email's campaign (flows: see learning/campaign.ts). */
  campaign: string;
  at: number;
}

/** An order credited to a click. */
export interface Attribution {
  /** The Order Completed event's messageId (an order is credited once). */
  orderId: string;
  blockId: string;
  arm: string;
  slot: string;
  /** The clicked product when the order contains it; null otherwise. */
  product: string | null;
  campaign: string;
  flow: string | null;
  step: string | null;
  currency: string;
  revenue: number;
  clickAt: number;
  at: number;
}

export interface LearningStore {
  /** Every counter row of a block (read once per block per process, then kept in memory). */
  counts(blockId: string): Maybe<CountRow[]>;
  /** Adds a batch of increments atomically. */
  add(deltas: readonly CountDelta[]): Maybe<void>;
  /** Keeps each key's newest touch (an older one never replaces a newer). */
  touch(touches: readonly Touch[]): Maybe<void>;
  /** The stored touches of these keys at or after `since`. */
  touches(keys: readonly string[], since: number): Maybe<Touch[]>;
  /** Forgets a touch found to be a scanner's click (only if it is still that one). */
  forgetTouch(key: string, at: number): Maybe<void>;
  /** Records a credited order with its counters; false (nothing written) when already credited. */
  attribute(a: Attribution): Maybe<boolean>;
  /** A block's newest credited orders, newest first. */
  attributions(blockId: string, limit: number): Maybe<Attribution[]>;
  /** Erasure: a person's touches. Returns how many were removed. */
  eraseKeys(keys: readonly string[]): Maybe<number>;
  /** A deleted block's counters, touches and credited orders. */
  deleteBlock(blockId: string): Maybe<void>;
  /** Touches older than `before` (past every attribution window). Returns how many. */
  pruneTouches(before: number): Maybe<number>;
  /** A trained model's parameters (JSON), by name. */
  saveModel(name: string, json: string, at: number): Maybe<void>;
  loadModel(name: string): Maybe<{ json: string; at: number } | null>;
}
