import type Database from "better-sqlite3";
import type { TrackEvent } from "../../core/ports/index.js";
import type { ActivityRow } from "../../core/ports/profiles.js";
import { aggregateActivity } from "../../core/profiles/activity.js";
import { recipientKey } from "../../core/profiles/identity.js";
import { createActivityTable } from "./activity-table.js";
import { erasedList } from "./erased-list.js";
import { uniquesWriter } from "./store.js";
import { immediate, lockWanted } from "./write-lock.js";

/**
 * Email activity and campaign uniques as a fold of the open/click log, written every few
 * seconds rather than with every batch.
 *
 * Why: each hit's activity row sits on a random page of a large table, so adding to it with
 * every 50 ms batch wrote that page to the WAL (and later to the database file) once per hit.
 * Held in memory for `foldMs` and added once, hits of the same person add up and pages
 * shared by many people are written once. A campaign's uniques are rows on random pages
 * too (one per recipient, campaign and kind), and go the same way. Measured on this writer
 * against the per-batch code, same run (batches of 1,500 hits, 300k hits, CPU per hit
 * including the log): 50,000 recipients 25.8–27.5 → 19.4–20.1 µs; a million recipients
 * 62–63 → 35–37 µs (the WAL's system time 28 → 10 µs). `npm run bench -- writer`.
 *
 * Nothing is lost by the wait: the log rows, committed per batch, hold everything a delta
 * is made of (time, kind, class, recipient), and `activity_fold_state.through` says up to
 * which log seq the table has them. A crash loses only the unfolded deltas, and recover()
 * rebuilds them from the log rows above `through` at the next start.
 *
 * A window is written in slices of people in key order, each slice one transaction with
 * those people's uniques, so no other writer of the file waits out a whole window (one
 * transaction held the write lock for up to 0.42 s at 50,000 recipients and 0.75 s at a
 * million in a writer harness at 20,000 hits/s; slices of 2,000 people, 60–90 ms, and a
 * slice ends early, after a step of 250 people, when another writer waits). While a
 * window is part-way, `window_end` and `done_key` say which of its people are in: a crash
 * then recovers the log rows up to `window_end` only for the people after `done_key`.
 * Key order also writes the table's pages in order: the fold's CPU per hit at a million
 * recipients fell from 14.4 to 9.6–10.4 µs in that harness (50,000 recipients: 7.3 → 8.3).
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
/** Staged people after which a fold is due early (~300 bytes each in memory). */
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
 * one waits for the lock (write-lock.ts). 2,000 people took 32–111 ms on a slow machine,
 * and every other writer waited that long; slices cut to a fixed time (15 ms) cost the
 * writer ~1.3 µs of system time per hit more (four times the commits) whether or not
 * anyone was waiting.
 */
const SLICE_STEP = 250;
/** Log rows per transaction when recovering. */
const RECOVER_CHUNK = 50_000;

/** A window being folded: its people in key order, their uniques, and how far it got. */
interface Window {
  people: ActivityRow[];
  uniquesOf: Map<ActivityRow, Unique[]>;
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
  // New keys are hashed only to look them up among erased people (activity-table.ts).
  const lazyHash = Object.assign((k: string) => hashOf(k), { lazy: true });
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
  const logAbove = db.prepare(
    `SELECT seq, at, kind, class, campaign, recipient FROM events
      WHERE seq > ? AND recipient IS NOT NULL ORDER BY seq LIMIT ${RECOVER_CHUNK}`,
  );

  let staged = new Map<string, ActivityRow>();
  // Each person's campaign uniques, by their staged delta: the window's first hit of each
  // campaign, kind and recipient, in log order (its class is kept).
  let uniquesOf = new Map<ActivityRow, Unique[]>();
  let uniqueCount = 0;
  let stagedThrough = 0;
  let since: number | null = null;
  let window: Window | null = null;
  let fromLog = false;

  /**
   * Adds people's deltas and their uniques. A person erased since their hits were logged
   * has no row and is on the erased list: table.add drops them, and their uniques with them.
   * A person and all their uniques are always in the same transaction, so an erasure between
   * two slices finds each of them either all written or not yet.
   */
  const addPeople = (deltas: Iterable<ActivityRow>, uniquesOf: Map<ActivityRow, Unique[]>) => {
    const list = [...deltas];
    const dropped = table.add(list, lazyHash);
    const rows = addUniques();
    for (const d of list) {
      if (dropped.has(d.key)) continue;
      for (const u of uniquesOf.get(d) ?? []) rows.add(u.campaign, u.kind, u.recipient, u.class);
    }
    rows.end();
  };
  /** Writes the window's next people, up to sliceKeys or until a writer waits; returns where it stopped. */
  const writeSlice = immediate(
    db,
    (w: Window): number => {
      const end = Math.min(w.people.length, w.next + sliceKeys);
      let i = w.next;
      do {
        const to = Math.min(end, i + SLICE_STEP);
        addPeople(w.people.slice(i, to), w.uniquesOf);
        i = to;
      } while (i < end && !lockWanted());
      if (i >= w.people.length) setThrough.run(w.through);
      else setPartial.run(w.through, w.people[i - 1]!.key);
      return i;
    },
    { background: true },
  );
  const writeRecovered = immediate(
    db,
    (
      deltas: Map<string, ActivityRow>,
      uniquesOf: Map<ActivityRow, Unique[]>,
      through: number,
      done: boolean,
    ) => {
      addPeople(deltas.values(), uniquesOf);
      if (done) setThrough.run(through);
      else setThroughInWindow.run(through);
    },
  );

  /** What is staged becomes the window to fold; staging starts afresh. */
  function takeWindow(): Window {
    // Key order (JS string order): a crash mid-window is recovered by "keys up to done_key".
    // The keys sorted natively, then their deltas: ~0.3 µs per hit less than sorting the
    // deltas with a comparator (in-process, 50,000 recipients, five alternating rounds).
    const w = {
      people: [...staged.keys()].sort().map((k) => staged.get(k)!),
      uniquesOf,
      through: stagedThrough,
      next: 0,
      takenAt: now(),
    };
    clearStaged();
    since = null;
    return w;
  }

  function clearStaged(): void {
    staged = new Map();
    uniquesOf = new Map();
    uniqueCount = 0;
  }

  function failed(err: unknown): never {
    // Memory stays bounded while the disk refuses (full, locked): what was staged is
    // dropped, and the next fold reads everything above `through` from the log instead.
    fromLog = true;
    window = null;
    clearStaged();
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
      // Straight into the window's deltas: no row per batch to allocate and merge.
      aggregateActivity(logged, staged, (row, e) => {
        if (addFirst(uniquesOf, row, e)) uniqueCount++;
      });
      stagedThrough = Math.max(stagedThrough, through);
    },
    get due() {
      return (
        since !== null && (staged.size >= maxKeys || uniqueCount >= 2 * maxKeys || now() - since >= foldMs)
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
      if (last) window = null;
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
      const rows = logAbove.all(through) as (Unique & Pick<TrackEvent, "at"> & { seq: number })[];
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
      const firsts = new Map<ActivityRow, Unique[]>();
      const deltas = aggregateActivity(todo, undefined, (row, e) => addFirst(firsts, row, e));
      const done = windowEnd === null || through >= windowEnd;
      writeRecovered(deltas, firsts, through, done);
      if (done) windowEnd = doneKey = null;
      n += todo.length;
    }
  }
}

type Unique = Pick<TrackEvent, "campaign" | "kind" | "class"> & { recipient: string };

/**
 * Adds a hit's (campaign, kind, recipient) to its person's uniques unless already there:
 * the first wins, with its class. Kept by the person's delta (an identity lookup, no key
 * string per hit), so a slice of people carries their uniques along. Returns whether added.
 */
function addFirst(
  into: Map<ActivityRow, Unique[]>,
  row: ActivityRow,
  e: Pick<TrackEvent, "campaign" | "kind" | "class" | "recipient">,
): boolean {
  const r = e.recipient!;
  const list = into.get(row);
  if (list?.some((x) => x.kind === e.kind && x.campaign === e.campaign && x.recipient === r)) return false;
  const u = { campaign: e.campaign, kind: e.kind, class: e.class, recipient: r };
  if (list) list.push(u);
  else into.set(row, [u]);
  return true;
}
