// Port for the decision log: what each render at open showed to whom, so an adaptive link
// resolves to what was shown and stats count per variant. Adapters: the in-memory fake in
// src/core/testing/memory-decision-log.ts and SQLite in src/node/sqlite/decision-store.ts,
// held to the same rules by test/contract/decision-log.test.ts.

/** One render of a stored block at an open (never a preview). */
export interface OpenDecision {
  kind: "open";
  at: number;
  blockId: string;
  recipient: string | null;
  /** The variant shown, "default" when none matched. */
  variant: string;
  /** Slot name → the URL that slot pointed to in what was shown ({} when none). */
  slots: Record<string, string>;
}

/** A click on an adaptive link, counted for the variant the person was shown. */
export interface ClickDecision {
  kind: "click";
  at: number;
  blockId: string;
  recipient: string | null;
  variant: string;
  slot: string;
}

export type DecisionEntry = OpenDecision | ClickDecision;

export interface LastDecision {
  variant: string;
  slots: Record<string, string>;
  at: number;
}

export interface VariantCounts {
  variant: string;
  /** Renders at open, every class of opener. */
  opens: number;
  /** Distinct recipients shown this variant (opens without `u` are not counted here). */
  uniqueRecipients: number;
  /** Adaptive-link clicks of people last shown this variant. */
  clicks: number;
}

export interface DecisionLog {
  /** Appends a batch atomically: all of it or none of it. */
  record(batch: readonly DecisionEntry[]): Promise<void>;
  /** The latest open recorded for this block and recipient; null when none. */
  lastFor(blockId: string, recipient: string): Promise<LastDecision | null>;
  /** Per variant ever recorded for the block, by variant name. */
  countsByVariant(blockId: string): Promise<VariantCounts[]>;
  /**
   * Forgets everything tying this recipient to a decision (erasure). Totals stay: they
   * are counts, not about anyone. Returns how many rows were removed.
   */
  eraseRecipient(recipient: string): Promise<number>;
  /**
   * Forgets a deleted block: its decisions, totals and uniques (nothing links to it any
   * more). An adapter may delete them after it returns, a slice at a time, as long as a
   * stop loses no part of the work. Returns how many rows were removed before it returned.
   */
  deleteBlock(blockId: string): Promise<number>;
}
