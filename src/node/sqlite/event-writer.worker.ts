import { parentPort, workerData } from "node:worker_threads";
import type { ProductInput } from "../../core/ports/catalog.js";
import type { DecisionEntry } from "../../core/ports/decisions.js";
import { createSignSync } from "../node-signer.js";
import { workerLogger } from "../worker-rpc.js";
import { createProductUpserter } from "./catalog-store.js";
import { createDecisionWriter } from "./decision-store.js";
import { fromWire, type WireBatch } from "./event-wire.js";
import { createFirstSeenWriter, type FirstSeen } from "./first-seen.js";
import { createLogIndexer } from "./log-index.js";
import { createPruner } from "./retention.js";
import { createEventWriter, openDatabase, WRITER_CHECKPOINT_PAGES } from "./store.js";

// Worker thread: owns one SQLite connection and commits each batch it is sent, in order.
// With a profile secret, each batch's opens/clicks also go to the recipients' email
// activity in the same transaction (see createEventWriter), so the profiles fed by
// /o, /c and /i are current once the batch is acknowledged.
const { file, profileSecret, retentionDays } = workerData as {
  file: string;
  profileSecret: string | null;
  retentionDays: number;
};
const db = openDatabase(file, { checkpointPages: WRITER_CHECKPOINT_PAGES });
const sign = profileSecret ? createSignSync(profileSecret) : null;
// The same HMAC the ProfileService keeps for erased people (purpose "erased").
const hashOf = sign ? (k: string) => sign("erased", k) : undefined;
const indexer = createLogIndexer(db);
const writeEvents = createEventWriter(db, { hashOf, indexer });
// Render decisions (blocks with variants), evergreen first opens and catalog writes are
// committed here too, off the main thread.
const writeDecisions = createDecisionWriter(db);
const writeFirstSeen = createFirstSeenWriter(db, hashOf);
const upsertProducts = createProductUpserter(db);

// The WorkerRpc protocol (worker-rpc.ts): `{ id, op, args }`, replied to with `{ id, ok }`
// (and the counts, for catalog writes); not serveRpc, because queued batches are committed
// together here.
type Batched =
  | { id: number; op: "append"; args: [WireBatch] }
  | { id: number; op: "decisions"; args: [DecisionEntry[]] }
  | { id: number; op: "firstSeen"; args: [FirstSeen[]] };
/** An operator's catalog write: its own transaction, answered with its counts. */
type CatalogCall = { id: number; op: "catalog"; args: [ProductInput[], number] };
type Call = Batched | CatalogCall;
type Msg = Call | { close: true };

// Batches that arrive while a commit runs are committed together next (one transaction,
// one fsync): under load the commits grow instead of queueing, and every page a batch
// dirties is written once for all of them. Each batch is acknowledged after its commit.
let queue: Call[] = [];
let scheduled = false;
let closing = false;

const commitGroup = db.transaction((group: Batched[]) => {
  const events = group.flatMap((m) => (m.op === "append" ? fromWire(m.args[0]) : []));
  const decisions = group.flatMap((m) => (m.op === "decisions" ? m.args[0] : []));
  const firstSeen = group.flatMap((m) => (m.op === "firstSeen" ? m.args[0] : []));
  // Each writer's own transaction nests here as a savepoint: one commit for the group.
  if (events.length) writeEvents(events);
  if (decisions.length) writeDecisions(decisions);
  if (firstSeen.length) writeFirstSeen(firstSeen);
});

// Retention (OPENTIME_EVENT_RETENTION_DAYS): after a commit, at most every 10 minutes, old
// log rows go one slice per turn of this thread's loop, so appends keep landing between them.
const PRUNE_EVERY_MS = 10 * 60_000;
const logger = workerLogger();
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

// The log's per-recipient index: a chunk at a time, after the batches it follows are
// acknowledged (log-index.ts).
let indexing = false;
function maybeIndex(): void {
  if (!indexer.due || indexing || closing) return;
  indexing = true;
  setImmediate(() => {
    try {
      indexer.run();
    } catch (err) {
      logger.warn({ err }, "indexing the log by recipient failed; tried again after the next batch");
    }
    indexing = false;
  });
}

function drain(): void {
  scheduled = false;
  const calls = queue;
  queue = [];
  const group = calls.filter((m): m is Batched => m.op !== "catalog");
  if (group.length) {
    try {
      commitGroup.immediate(group);
      for (const m of group) parentPort!.postMessage({ id: m.id, ok: true });
      // Index first: its turn comes before the prune's slices, so rows are never pruned
      // before they are indexed (their uniques' index entries outlive them).
      maybeIndex();
      maybePrune();
    } catch (err) {
      for (const m of group)
        parentPort!.postMessage({ id: m.id, ok: false, message: (err as Error).message });
    }
  }
  for (const m of calls) {
    if (m.op !== "catalog") continue;
    try {
      parentPort!.postMessage({ id: m.id, ok: true, value: upsertProducts(...m.args) });
    } catch (err) {
      parentPort!.postMessage({ id: m.id, ok: false, message: (err as Error).message });
    }
  }
  if (closing) {
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
