import { parentPort, workerData } from "node:worker_threads";
import type { ProductInput } from "../../core/ports/catalog.js";
import type { DecisionEntry } from "../../core/ports/decisions.js";
import { createSignSync } from "../node-signer.js";
import { workerLogger } from "../worker-rpc.js";
import { createActivityFolder } from "./activity-fold.js";
import { createBlockPurger } from "./block-purge.js";
import { createProductUpserter } from "./catalog-store.js";
import { createDecisionEraser, createDecisionWriter } from "./decision-store.js";
import { fromWire, type WireBatch } from "./event-wire.js";
import { createFirstSeenWriter, type FirstSeen } from "./first-seen.js";
import { createLogIndexer } from "./log-index.js";
import { createPruner } from "./retention.js";
import { createEventWriter, openDatabase, WRITER_CHECKPOINT_PAGES } from "./store.js";
import { immediate, shareLockWaiters } from "./write-lock.js";

// Worker thread: owns one SQLite connection and commits each batch it is sent, in order.
// With a profile secret, the opens/clicks of the committed batches are also added to the
// recipients' email activity every few seconds (activity-fold.ts), and at once when the
// main thread asks to `settle` (the profile API reads every acknowledged hit).
const { file, profileSecret, retentionDays, foldMs, lockWaiters } = workerData as {
  file: string;
  profileSecret: string | null;
  retentionDays: number;
  foldMs?: number;
  lockWaiters?: SharedArrayBuffer;
};
shareLockWaiters(lockWaiters, "event_writer");
const db = openDatabase(file, { checkpointPages: WRITER_CHECKPOINT_PAGES });
const sign = profileSecret ? createSignSync(profileSecret) : null;
// The same HMAC the ProfileService keeps for erased people (purpose "erased").
const hashOf = sign ? (k: string) => sign("erased", k) : undefined;
const indexer = createLogIndexer(db);
const folder = hashOf ? createActivityFolder(db, hashOf, { foldMs }) : null;
const writeEvents = createEventWriter(db, {
  erasedKeys: folder?.erasedKeys,
  indexer,
  uniquesLater: !!folder,
});
// Render decisions (blocks with variants), evergreen first opens and catalog writes are
// committed here too, off the main thread.
const writeDecisions = createDecisionWriter(db);
const eraseDecisions = createDecisionEraser(db);
const writeFirstSeen = createFirstSeenWriter(db, hashOf);
const upsertProducts = createProductUpserter(db);
const logger = workerLogger();
// Hits a crash left unfolded: in the log, not yet in email activity.
if (folder) {
  const n = folder.recover();
  if (n)
    logger.warn({ events: n }, "email activity: folded the opens/clicks an earlier stop left in the log");
}

// The WorkerRpc protocol (worker-rpc.ts): `{ id, op, args }`, replied to with `{ id, ok }`
// (and the counts, for catalog writes); not serveRpc, because queued batches are committed
// together here.
type Batched =
  | { id: number; op: "append"; args: [WireBatch] }
  | { id: number; op: "settle"; args: [] }
  | { id: number; op: "decisions"; args: [DecisionEntry[]] }
  | { id: number; op: "firstSeen"; args: [FirstSeen[]] };
/** An operator's catalog write, or a person's decisions erased: its own transaction, answered with its counts. */
type OwnCall =
  | { id: number; op: "catalog"; args: [ProductInput[], number] }
  | { id: number; op: "eraseDecisions"; args: [string] };
/** A block was deleted: purge what it left (answered once marked; block-purge.ts). */
type PurgeCall = { id: number; op: "purgeBlocks"; args: [string | null] };
type Call = Batched | OwnCall | PurgeCall;
type Msg = Call | { close: true };

// Batches that arrive while a commit runs are committed together next (one transaction,
// one fsync): under load the commits grow instead of queueing, and every page a batch
// dirties is written once for all of them. Each batch is acknowledged after its commit.
let queue: Call[] = [];
let scheduled = false;
let closing = false;

const commitGroup = immediate(db, (group: Batched[]) => {
  const events = group.flatMap((m) => (m.op === "append" ? fromWire(m.args[0]) : []));
  const decisions = group.flatMap((m) => (m.op === "decisions" ? m.args[0] : []));
  const firstSeen = group.flatMap((m) => (m.op === "firstSeen" ? m.args[0] : []));
  // Each writer's own transaction nests here as a savepoint: one commit for the group.
  const logged = events.length ? writeEvents(events) : null;
  if (decisions.length) writeDecisions(decisions);
  if (firstSeen.length) writeFirstSeen(firstSeen);
  return logged;
});

// Retention (OPENTIME_EVENT_RETENTION_DAYS): after a commit, at most every 10 minutes, old
// log rows go one slice per turn of this thread's loop, so appends keep landing between them.
const PRUNE_EVERY_MS = 10 * 60_000;
const pruner = retentionDays > 0 ? createPruner(db, retentionDays) : null;
let lastPrune = 0;
let pruning = false;
function pruneStep(): void {
  try {
    if (!closing && pruner!.slice()) {
      setImmediate(pruneStep);
      return;
    }
  } catch (err) {
    logger.warn({ err }, "pruning old log rows failed; tried again at the next run");
  }
  pruning = false;
}
function maybePrune(): void {
  if (!pruner || pruning || closing || Date.now() - lastPrune < PRUNE_EVERY_MS) return;
  lastPrune = Date.now();
  try {
    pruner.plan();
  } catch (err) {
    logger.warn({ err }, "pruning old log rows failed; tried again at the next run");
    return;
  }
  pruning = true;
  setImmediate(pruneStep);
}

// What deleted blocks left (block-purge.ts): a slice (~10–30 ms for 5,000 rows) and then a
// pause, so that this thread's batches and the other connections' writes get the lock
// between slices (with SQLite's busy handler, before write-lock.ts, a write on the main
// thread waited 1.8 s behind back-to-back slices without the pause; the slices now also
// stand aside for a waiting writer). Marks a stop left are taken up at start.
const PURGE_PAUSE_MS = 25;
const blockPurger = createBlockPurger(db);
let purgingBlocks = false;
function purgeBlocksStep(): void {
  try {
    if (!closing && blockPurger.slice()) {
      setTimeout(purgeBlocksStep, PURGE_PAUSE_MS);
      return;
    }
  } catch (err) {
    logger.warn({ err }, "deleting a deleted block's rows failed; tried again at the next delete or start");
  }
  purgingBlocks = false;
}
function purgeBlocks(): void {
  if (purgingBlocks || closing) return;
  purgingBlocks = true;
  setImmediate(purgeBlocksStep);
}
if (blockPurger.due) purgeBlocks();

// The log's per-recipient index: a chunk at a time, after the batches it follows are
// acknowledged (log-index.ts).
let indexing = false;
function maybeIndex(): void {
  if (!indexer.due || indexing || closing) return;
  indexing = true;
  setImmediate(() => {
    let more = false;
    try {
      // Cut short after a step when another writer waits for the lock: the rest shortly.
      indexer.run({ yielding: true });
      more = indexer.due;
    } catch (err) {
      logger.warn({ err }, "indexing the log by recipient failed; tried again after the next batch");
    }
    indexing = false;
    if (more) setTimeout(maybeIndex, 2);
  });
}

// Email activity: folded when due, by a timer (nothing else may come to trigger it), one
// slice of people at a time (cut short when another writer waits) with a pause between,
// so that the other writers of the file (the profile writer's Segment and webhook commits,
// this thread's own batches) get the lock between slices instead of waiting out a whole
// window (activity-fold.ts).
// Writers wait for the lock by polling every 0.5 ms (write-lock.ts), so a short gap lets
// them in. A fold that falls behind its window (the next is due) runs without pauses.
const FOLD_PAUSE_MS = 2;
let foldTimer: NodeJS.Timeout | null = null;
// The timer waits for the staged deltas to come due (not a slice's pause or a retry).
let waitingForDue = false;
function clearFoldTimer(): void {
  if (foldTimer) clearTimeout(foldTimer);
  foldTimer = null;
  waitingForDue = false;
}
function foldFailed(err: unknown): void {
  // Tried again shortly, from the log (activity-fold.ts); nothing acknowledged is lost.
  logger.warn({ err }, "adding opens/clicks to email activity failed; tried again shortly");
  if (!closing) foldTimer = setTimeout(fold, 1_000);
}
/** Everything now (a settle, a shutdown, a retry). */
function fold(): void {
  clearFoldTimer();
  try {
    folder?.fold();
  } catch (err) {
    foldFailed(err);
  }
}
function foldSlice(): void {
  foldTimer = null;
  waitingForDue = false;
  try {
    if (folder!.foldSlice()) {
      foldTimer = setTimeout(foldSlice, folder!.behind ? 0 : FOLD_PAUSE_MS);
      return;
    }
  } catch (err) {
    foldFailed(err);
    return;
  }
  scheduleFold();
}
function scheduleFold(): void {
  if (!folder || closing) return;
  // Due early (many people staged): the wait for the window's time is over.
  if (waitingForDue && folder.due) clearFoldTimer();
  // A slice's pause or a retry is already waiting on its timer.
  if (foldTimer) return;
  if (folder.due) foldSlice();
  else {
    const ms = folder.dueInMs;
    if (ms !== null) {
      foldTimer = setTimeout(foldSlice, ms);
      waitingForDue = true;
    }
  }
}

/** A call answered on its own, after the group. */
function runOwn(m: OwnCall | PurgeCall): unknown {
  switch (m.op) {
    case "catalog":
      return upsertProducts(...m.args);
    case "eraseDecisions":
      return eraseDecisions(...m.args);
    case "purgeBlocks":
      if (m.args[0] !== null) blockPurger.mark(m.args[0]);
      purgeBlocks();
      return undefined;
  }
}

function drain(): void {
  scheduled = false;
  const calls = queue;
  queue = [];
  const group = calls.filter(
    (m): m is Batched => m.op !== "catalog" && m.op !== "eraseDecisions" && m.op !== "purgeBlocks",
  );
  if (group.length) {
    try {
      const logged = commitGroup(group);
      // Staged only once committed: a rolled-back group adds nothing.
      if (logged) folder?.stage(logged.logged, logged.through);
      if (group.some((m) => m.op === "settle")) fold();
      for (const m of group) parentPort!.postMessage({ id: m.id, ok: true });
      scheduleFold();
      // Index, then prune (either order is safe: a row pruned before its chunk is indexed
      // just gets no entry; the uniques' entries by recipient no longer come from the log,
      // migration 14).
      maybeIndex();
      maybePrune();
    } catch (err) {
      for (const m of group)
        parentPort!.postMessage({ id: m.id, ok: false, message: (err as Error).message });
    }
  }
  for (const m of calls) {
    if (m.op !== "catalog" && m.op !== "eraseDecisions" && m.op !== "purgeBlocks") continue;
    try {
      parentPort!.postMessage({ id: m.id, ok: true, value: runOwn(m) });
    } catch (err) {
      parentPort!.postMessage({ id: m.id, ok: false, message: (err as Error).message });
    }
  }
  if (closing) {
    fold();
    // Graceful shutdown indexes the tail: the next start finds nothing waiting.
    try {
      indexer.run();
    } catch (err) {
      logger.warn({ err }, "indexing the log by recipient failed at shutdown; done at the next start");
    }
    db.close();
    process.exit(0);
  }
}

parentPort!.on("message", (msg: Msg) => {
  if ("close" in msg) closing = true;
  else queue.push(msg);
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});
