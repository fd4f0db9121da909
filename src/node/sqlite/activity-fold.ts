import type Database from "better-sqlite3";
import type { TrackEvent } from "../../core/ports/index.js";
import { recipientKey } from "../../core/profiles/identity.js";
import { ActivityStage, type StagedHit } from "./activity-stage.js";
import { createActivityTable } from "./activity-table.js";
import { erasedList } from "./erased-list.js";
import { uniqueMover, uniquesWriter } from "./store.js";
import { immediate, lockWanted } from "./write-lock.js";

/**
 * Email activity and campaign uniques as a fold of the open/click log, written every few
 * seconds rather than with every batch.
 *
 * Why: each hit's activity row sits on a random page of a large table, so adding to it with
 * every 50 ms batch wrote that page to the WAL (and later to the database file) once per hit.
 * Held in memory for `foldMs` and added once, hits of the same person add up and pages
 * shared by many people are written once. A campaign's uniques are rows on random pages
 * too (one per recipient, campaign and kind), and go the same way (docs/perf-log.md has
 * the figures).
 *
 * Nothing is lost by the wait: the log rows, committed per batch, hold everything a delta
 * is made of (time, kind, class, recipient), and `activity_fold_state.through` says up to
 * which log seq the table has them. A crash loses only the unfolded deltas, and recover()
 * rebuilds them from the log rows above `through` at the next start.
 *
 * A window is written in slices of people in key order, each slice one transaction with
 * those people's uniques, so no other writer of the file waits out a whole window (a
 * slice ends early, after a step of 250 people, when another writer waits). While a
 * window is part-way, `window_end` and `done_key` say which of its people are in: a crash
 * then recovers the log rows up to `window_end` only for the people after `done_key`.
 * Key order also writes the table's pages in order (cheaper per hit at a million people).
 *
 * Reads that must see every acknowledged hit (the profile API, campaign stats) call fold()
 * first, through the event writer's `settle`; renders read what has been folded (at most
 * `foldMs` old, plus the slices still to come). Uniques are idempotent (first row wins),
 * so a recovery that re-adds some changes nothing.
 */
export interface ActivityFolder {
  /** Keys of the batch whose person was erased: their hits are logged without recipient. */
  erasedKeys(batch: readonly TrackEvent[]): Set<string>;
  /** Adds the deltas of a committed batch, whose last log seq is `through`. */
  stage(logged: readonly TrackEvent[], through: number): void;
  /** Whether a fold is due (deltas older than foldMs, or more than maxKeys people staged). */
  readonly due: boolean;
  /** Milliseconds until the staged deltas are due (null: nothing staged). */
  readonly dueInMs: number | null;
  /** A window is being folded slice by slice (foldSlice() has more to do). */
  readonly folding: boolean;
  /** The window being folded was taken more than foldMs ago: the next is due meanwhile. */
  readonly behind: boolean;
  /**
   * Folds the next slice of people: the first call takes what is staged as the window to
   * fold (what is staged after goes to the next one). Returns whether that window has
   * slices left. Each slice is its own transaction, so other writers of the file get the
   * lock between slices. Throws if a slice fails; the next fold then reads from the log.
   */
  foldSlice(): boolean;
  /** Folds everything staged (and the rest of a window in progress), now. */
  fold(): void;
  /** Folds the log rows a crash left above `through` (call once, before any stage()). */
  recover(): number;
}

/** The fold window's default (ms): hits reach profile renders within it. */
const ACTIVITY_FOLD_MS = 2_000;
/** Staged people after which a fold is due early (~400 bytes each in memory: activity-stage.ts). */
const ACTIVITY_FOLD_MAX_KEYS = 100_000;
/**
 * People per slice of a fold, each slice one transaction. The whole window in one took the
 * file's write lock for up to 0.42 s (50,000 recipients) or 0.75 s (a million, nearly all new)
 * at 20,000 hits/s in a writer harness, and every other writer (Segment, webhooks, the
 * log's own batches) waited that long.
 */
const ACTIVITY_FOLD_SLICE = 2_000;
/**
 * People written between two looks at the file's other writers: a slice ends early when
 * one waits for the lock (write-lock.ts): a full slice is long for a waiter, while slices
 * cut to a fixed time cost the writer more commits whether or not anyone was waiting.
 */
const SLICE_STEP = 250;
/** Log rows per transaction when recovering. */
const RECOVER_CHUNK = 50_000;

/** A window being folded: its stage, its people (slots) in key order, and how far it got. */
interface Window {
  stage: ActivityStage;
  people: number[];
  through: number;
  next: number;
  takenAt: number;
}

export function createActivityFolder(
  db: Database.Database,
  hashOf: (key: string) => string,
  opts: { foldMs?: number; maxKeys?: number; sliceKeys?: number; now?: () => number } = {},
): ActivityFolder {
  const foldMs = opts.foldMs ?? ACTIVITY_FOLD_MS;
  const maxKeys = opts.maxKeys ?? ACTIVITY_FOLD_MAX_KEYS;
  const sliceKeys = opts.sliceKeys ?? ACTIVITY_FOLD_SLICE;
  const now = opts.now ?? Date.now;
  const table = createActivityTable(db);
  const erased = erasedList(db);
  const state = db.prepare(
    "SELECT through, window_end AS windowEnd, done_key AS doneKey FROM activity_fold_state",
  );
  // A window's slices so far: its keys up to done_key (in JS string order) are in the table.
  const setPartial = db.prepare("UPDATE activity_fold_state SET window_end = ?, done_key = ?");
  const setThrough = db.prepare(
    "UPDATE activity_fold_state SET through = ?, window_end = NULL, done_key = NULL",
  );
  const setThroughInWindow = db.prepare("UPDATE activity_fold_state SET through = ?");
  const addUniques = uniquesWriter(db);
  const moveUnique = uniqueMover(db);
  const logAbove = db.prepare(
    `SELECT seq, at, kind, class, campaign, recipient, corrects FROM events
      WHERE seq > ? AND recipient IS NOT NULL ORDER BY seq LIMIT ${RECOVER_CHUNK}`,
  );

  // What is staged, and a stage kept from the last window folded for the next (its buffers
  // are reused: activity-stage.ts says why).
  let staged = new ActivityStage();
  let spare: ActivityStage | null = null;
  let stagedThrough = 0;
  let since: number | null = null;
  let window: Window | null = null;
  let fromLog = false;

  /**
   * Adds staged people's deltas and their uniques. While nobody is erased (asked in this
   * transaction), every delta goes in by shape, many rows per statement, and a new person
   * needs no hash. Otherwise a delta at a time: a person erased since their hits were logged
   * has no row and is on the erased list, so table.add drops them, and their uniques with
   * them. A person and all their uniques are always in the same transaction, so an erasure
   * between two slices finds each of them either all written or not yet.
   */
  const addPeople = (stage: ActivityStage, slots: readonly number[]) => {
    let dropped: Set<string> | null = null;
    if (erased.any())
      dropped = table.add(
        slots.map((slot) => stage.row(slot)),
        hashOf,
      );
    else table.addStaged(stage, slots);
    const rows = addUniques();
    const put = (campaign: string, kind: string, recipient: string, cls: string, at: number) =>
      rows.add(campaign, kind, recipient, cls, at);
    for (const slot of slots) if (!dropped?.has(stage.key(slot))) stage.forEachUnique(slot, put);
    rows.end();
    // Corrections of uniques an earlier window wrote (after this window's own are in).
    for (const slot of slots)
      if (!dropped?.has(stage.key(slot))) for (const c of stage.movesOf(slot)) moveUnique(c);
  };
  /** Writes the window's next people, up to sliceKeys or until a writer waits; returns where it stopped. */
  const writeSlice = immediate(
    db,
    (w: Window): number => {
      const end = Math.min(w.people.length, w.next + sliceKeys);
      let i = w.next;
      do {
        const to = Math.min(end, i + SLICE_STEP);
        addPeople(w.stage, w.people.slice(i, to));
        i = to;
      } while (i < end && !lockWanted());
      if (i >= w.people.length) setThrough.run(w.through);
      else setPartial.run(w.through, w.stage.key(w.people[i - 1]!));
      return i;
    },
    { background: true },
  );
  const writeRecovered = immediate(db, (stage: ActivityStage, through: number, done: boolean) => {
    addPeople(stage, stage.sorted());
    if (done) setThrough.run(through);
    else setThroughInWindow.run(through);
  });

  /** What is staged becomes the window to fold; staging starts afresh. */
  function takeWindow(): Window {
    // Key order (JS string order): a crash mid-window is recovered by "keys up to done_key".
    const w = { stage: staged, people: staged.sorted(), through: stagedThrough, next: 0, takenAt: now() };
    staged = spare ?? new ActivityStage();
    spare = null;
    since = null;
    return w;
  }

  function failed(err: unknown): never {
    // Memory stays bounded while the disk refuses (full, locked): what was staged is
    // dropped, and the next fold reads everything above `through` from the log instead.
    fromLog = true;
    window = null;
    staged.clear();
    throw err;
  }

  const folder: ActivityFolder = {
    erasedKeys(batch) {
      const out = new Set<string>();
      // Per batch, as the per-hit add did for new keys: nobody erased, nothing to hash.
      if (!erased.any()) return out;
      const checked = new Set<string>();
      for (const e of batch) {
        if (!e.recipient) continue;
        const k = recipientKey(e.recipient);
        if (checked.has(k)) continue;
        checked.add(k);
        if (erased.has(hashOf(k))) out.add(k);
      }
      return out;
    },
    stage(logged, through) {
      since ??= now();
      // After a failed fold the log is the source until a recovery succeeds (see fold()).
      if (fromLog) return;
      for (const e of logged) staged.add(e);
      stagedThrough = Math.max(stagedThrough, through);
    },
    get due() {
      return (
        since !== null &&
        (staged.size >= maxKeys || staged.uniqueCount >= 2 * maxKeys || now() - since >= foldMs)
      );
    },
    get dueInMs() {
      return since === null ? null : Math.max(0, since + foldMs - now());
    },
    get folding() {
      return window !== null;
    },
    get behind() {
      return window !== null && now() - window.takenAt >= foldMs;
    },
    foldSlice() {
      if (fromLog) {
        folder.fold();
        return false;
      }
      if (!window) {
        if (since === null) return false;
        window = takeWindow();
      }
      const w = window;
      try {
        w.next = writeSlice(w);
      } catch (err) {
        failed(err);
      }
      const last = w.next >= w.people.length;
      if (last) {
        window = null;
        w.stage.clear();
        spare = w.stage;
      }
      return !last;
    },
    fold() {
      if (fromLog) {
        // Nothing was staged since the failure (stage() skips): the log has it all.
        if (since === null) return;
        try {
          recover();
        } catch (err) {
          failed(err);
        }
        fromLog = false;
        since = null;
        return;
      }
      // The window in progress first (its people are before what was staged since).
      while (window) folder.foldSlice();
      if (since !== null) while (folder.foldSlice());
    },
    recover,
  };
  return folder;

  function recover(): number {
    let { through, windowEnd, doneKey } = state.get() as {
      through: number;
      windowEnd: number | null;
      doneKey: string | null;
    };
    let n = 0;
    for (;;) {
      const rows = logAbove.all(through) as (StagedHit & { recipient: string; seq: number })[];
      if (!rows.length) {
        // A window whose remaining rows are gone (erased): nothing of it is left to add.
        if (windowEnd !== null) setThrough.run(Math.max(through, windowEnd));
        return n;
      }
      through = rows[rows.length - 1]!.seq;
      // Rows of an interrupted window whose person's slice was written are in already.
      const todo =
        windowEnd === null
          ? rows
          : rows.filter((r) => r.seq > windowEnd! || recipientKey(r.recipient) > doneKey!);
      const stage = new ActivityStage();
      for (const r of todo) stage.add(r);
      const done = windowEnd === null || through >= windowEnd;
      writeRecovered(stage, through, done);
      if (done) windowEnd = doneKey = null;
      n += todo.length;
    }
  }
}
