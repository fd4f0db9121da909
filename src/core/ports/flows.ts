// Flows' durable state: definitions (every version), runs with their timer, what each step
// did, counters, and the products people watch. SQLite implements it in
// src/node/sqlite/flow-store.ts (a plain synchronous class), the in-memory fake is
// src/core/flows/memory-flow-store.ts; test/contract/flow-store.contract.ts runs against both.
// Methods may answer synchronously or with a promise (a Redis adapter would), so callers await.
import type { FlowDefinition } from "../flows/definition.js";

type Awaitable<T> = T | Promise<T>;

export const FLOW_STATUSES = ["active", "paused", "archived"] as const;
export type FlowStatus = (typeof FLOW_STATUSES)[number];

export interface FlowRecord {
  id: string;
  version: number;
  status: FlowStatus;
  /** The built-in it was enabled from, if any. */
  builtin: string | null;
  definition: FlowDefinition;
  createdAt: number;
  updatedAt: number;
}

export const RUN_ENDS = ["completed", "exited", "goal", "archived", "failed"] as const;
export type RunEnd = (typeof RUN_ENDS)[number];

export interface RunRecord {
  id: string;
  flowId: string;
  version: number;
  profileId: string;
  /** "active" until it ends; then why it ended. */
  status: "active" | RunEnd;
  /** The step the run is at (executing, or waiting in). */
  stepId: string;
  /**
   * The timer: when the run is next due (a wait's end, a wait_for's timeout, a deferred
   * send's retry; "now" while it is being advanced). Null once it ended.
   */
  wakeAt: number | null;
  /** A wait_for's event, while waiting for one. */
  waitingFor: string | null;
  /** The trigger (event name and properties, product…) and anything steps keep. */
  data: Record<string, unknown>;
  startedAt: number;
  updatedAt: number;
}

/** One step of one run, as it happened (a person's runs show them). */
export interface StepEntry {
  runId: string;
  stepId: string;
  at: number;
  /** What happened: entered, sent, deferred, capped, suppressed, failed, waiting, … */
  outcome: string;
  detail?: string;
}

export interface FlowCounter {
  flowId: string;
  /** "" for the flow as a whole. */
  stepId: string;
  name: string;
  n: number;
}

/** Writes of one moment of one run (or a watch), applied in order; a batch of them commits at once. */
export interface FlowWrite {
  insert?: RunRecord;
  update?: RunRecord;
  steps?: readonly StepEntry[];
  counters?: readonly FlowCounter[];
  send?: { profileId: string; flowId: string; stepId: string; runId: string; at: number };
  watch?: { productId: string; profileId: string; kind: string; at: number };
}

export interface FlowStore {
  /** Many writes, in order, as ONE commit (the engine's group commit: one fsync for many runs). */
  write(batch: readonly FlowWrite[]): Awaitable<void>;
  /** Stores a version (1 for a new flow) and makes it the current one. */
  putFlow(f: FlowRecord): Awaitable<void>;
  /** The current version, or the given one. */
  flow(id: string, version?: number): Awaitable<FlowRecord | null>;
  /** Current versions of every flow, archived ones included. */
  flows(): Awaitable<FlowRecord[]>;
  setStatus(id: string, status: FlowStatus, at: number): Awaitable<void>;

  insertRun(run: RunRecord): Awaitable<void>;
  /** Writes the run's step, status, timer and data; clears its claim. */
  updateRun(run: RunRecord): Awaitable<void>;
  run(id: string): Awaitable<RunRecord | null>;
  activeRunsOf(profileId: string): Awaitable<RunRecord[]>;
  /** Newest first. */
  runsOf(profileId: string, limit: number): Awaitable<RunRecord[]>;
  /** The start of this person's latest run of the flow, for re-entry rules. */
  lastStartOf(flowId: string, profileId: string): Awaitable<number | null>;
  /** Moves the active runs of a flow to another version (an update that migrates). */
  migrateRuns(flowId: string, version: number): Awaitable<number>;
  /** Ends every active run of a flow (archive). */
  endRuns(flowId: string, status: RunEnd, at: number): Awaitable<number>;

  /**
   * Claims up to `limit` due runs (wakeAt ≤ now, no live claim) until `now + leaseMs`, so each
   * due timer is handed to one caller; a claim not released (a crash) lapses and is taken again.
   */
  claimDue(now: number, leaseMs: number, limit: number): Awaitable<RunRecord[]>;
  /** The earliest wakeAt of an active run, or null. */
  nextDue(): Awaitable<number | null>;
  countWaiting(flowId: string): Awaitable<number>;

  logSteps(entries: readonly StepEntry[]): Awaitable<void>;
  stepsOf(runId: string): Awaitable<StepEntry[]>;
  /** Adds each counter's n. */
  count(counters: readonly FlowCounter[]): Awaitable<void>;
  counters(flowId: string): Awaitable<FlowCounter[]>;

  /** Sends a run made, for conversions (an Order Completed within the window). */
  noteSend(s: {
    profileId: string;
    flowId: string;
    stepId: string;
    runId: string;
    at: number;
  }): Awaitable<void>;
  /** The person's latest send since `since`, if any. */
  lastSendOf(
    profileId: string,
    since: number,
  ): Awaitable<{ flowId: string; stepId: string; runId: string; at: number } | null>;

  /** That a person viewed/carted/wishlisted a product (catalog triggers). */
  watch(productId: string, profileId: string, kind: string, at: number): Awaitable<void>;
  watchers(productId: string, kinds: readonly string[], since: number, limit: number): Awaitable<string[]>;

  close?(): Awaitable<void>;
}
