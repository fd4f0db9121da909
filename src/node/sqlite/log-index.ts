import type Database from "better-sqlite3";
import { LOG_INDEX_EPOCH } from "./migrations.js";
import { immediate, lockWanted } from "./write-lock.js";

/**
 * The open/click log's per-recipient index (a person's history, export and erasure read
 * the log by recipient), kept in `events_by_recipient` and filled in sorted chunks instead
 * of by an SQL index updated with every row. (A person's campaign uniques, for erasure,
 * are found through their log rows as those are deleted: UNIQUES_OF_RECIPIENT_SQL says how.)
 *
 * Why: recipients arrive in random order, so an index entry per appended row dirtied one
 * random index page per open or click, written whole to the WAL at each group commit. In a
 * writer benchmark (750-event batches over 50,000 recipients) the log cost 10.7 µs of CPU per
 * event with that index and 4.4 without; filled in chunks of 20,000 rows, inserted in
 * recipient order by one INSERT … SELECT … ORDER BY inside SQLite (several entries land on
 * each page, no JS call per row), it costs 5.9. The rows themselves are appended in order.
 *
 * Entries are ordered by epoch first (LOG_INDEX_EPOCH seqs, ~260,000 rows; migration 16),
 * then recipient. Ordered by recipient alone, a chunk's 20,000 people landed on up to as
 * many leaf pages of the whole index, so its cost per hit grew with the index: 2.5 µs over
 * the first 600,000 rows at a million recipients, 10.3 by 1.2 million, 19.8 by 3 million
 * (in-process, CPU per logged hit). Within one epoch a chunk touches at most that epoch's
 * pages. A person's rows are read with one seek per epoch (EPOCHS_SQL), a few µs each.
 *
 * Rows with seq > `log_index_state.through` are not indexed yet; readers add them with a
 * range scan of about one chunk at most (TRACKING_SQL: a few ms). Seqs never go back (the writer
 * assigns them: NEXT_SEQ_SQL), so a row below `through` is always one the index has seen.
 * A chunk is also due once rows have waited `maxAgeMs` (10 s), so that under light traffic
 * the tail those reads scan stays short; rows a crashed process left are due at once.
 */
const LOG_INDEX_CHUNK = 20_000;
/**
 * Seqs per INSERT … SELECT within a chunk's transaction: between two, a run that yields
 * commits what it has and stops when another writer waits for the lock (write-lock.ts); a
 * whole chunk held it ~50 ms on a slow machine. The rest is due at once.
 */
const LOG_INDEX_STEP = 5_000;
const LOG_INDEX_MAX_AGE_MS = 10_000;

/**
 * The seq for the next appended row: past every row, every seq the index has covered and
 * every seq the email-activity fold has covered or is folding (activity-fold.ts), even when
 * the last rows were erased since.
 */
export const NEXT_SEQ_SQL = `SELECT max(coalesce((SELECT max(seq) FROM events), 0),
  coalesce((SELECT through FROM log_index_state), 0),
  coalesce((SELECT max(through, coalesce(window_end, 0)) FROM activity_fold_state), 0)) + 1`;

/** The epochs the index holds (from the oldest to the newest entry's): `epoch IN (…)`. */
export const EPOCHS_SQL = `WITH RECURSIVE ep(n) AS (
    SELECT (SELECT min(epoch) FROM events_by_recipient)
    UNION ALL SELECT n + 1 FROM ep WHERE n < (SELECT max(epoch) FROM events_by_recipient))
  SELECT n FROM ep`;

/** The seqs of a recipient's (@r) indexed log rows. */
export const INDEXED_SEQS_SQL = `SELECT seq FROM events_by_recipient
   WHERE epoch IN (${EPOCHS_SQL}) AND recipient = @r`;

/** Log rows not indexed yet (past the last chunk): a range scan of about a chunk at most. */
export const UNINDEXED_SQL = "seq > (SELECT through FROM log_index_state)";

/** A recipient's log rows, newest first (@r the recipient, @limit -1 for all). */
export const TRACKING_SQL = `
  SELECT seq, at, kind, campaign, link_id AS linkId, recipient, class, corrects FROM events
   WHERE seq IN (${INDEXED_SEQS_SQL}) AND recipient = @r
  UNION ALL
  SELECT seq, at, kind, campaign, link_id AS linkId, recipient, class, corrects FROM events
   WHERE ${UNINDEXED_SQL} AND recipient = @r
  ORDER BY seq DESC LIMIT @limit`;

/**
 * The (campaign, kind) of uniques a recipient (@r) has whose log rows retention pruned: the
 * entries it wrote in `campaign_uniques_by_recipient` as it pruned them (retention.ts). The
 * rest are those of the person's log rows (each unique is folded from one), which erasure
 * reads as it deletes them (profile-store.ts); a pair whose unique is not folded yet
 * matches nothing when deleted.
 *
 * Why not an entry per unique as it is added (a trigger did that, migrations 14 to 17): the
 * table is ordered by recipient, so every new unique landed on a random page of it, a page
 * write per new person in a big send: the event writer's CPU per hit, a million recipients,
 * in-process, 20.6–20.9 µs with the trigger, 16.9–17.1 without (and growing with the table).
 */
export const UNIQUES_OF_RECIPIENT_SQL =
  "SELECT campaign, kind FROM campaign_uniques_by_recipient WHERE recipient = @r";

export interface LogIndexer {
  /** Counts rows appended (called inside the append's transaction). */
  appended(n: number): void;
  /** A chunk is waiting. */
  readonly due: boolean;
  /**
   * Indexes every row appended so far, in one transaction of its own. `yielding`: stops
   * early, after a step, when another writer waits for the lock (the rest stays due).
   */
  run(opts?: { yielding?: boolean }): void;
}

export function createLogIndexer(
  db: Database.Database,
  opts: { chunk?: number; maxAgeMs?: number; now?: () => number } = {},
): LogIndexer {
  const { chunk = LOG_INDEX_CHUNK, maxAgeMs = LOG_INDEX_MAX_AGE_MS, now = Date.now } = opts;
  const through = db.prepare("SELECT through FROM log_index_state").pluck();
  const last = db.prepare("SELECT coalesce(max(seq), 0) FROM events").pluck();
  const fill = db.prepare(
    `INSERT OR IGNORE INTO events_by_recipient (epoch, recipient, seq)
       SELECT seq / ${LOG_INDEX_EPOCH}, recipient, seq FROM events
        WHERE seq > ? AND seq <= ? AND recipient IS NOT NULL
        ORDER BY 1, 2, 3`,
  );
  const setThrough = db.prepare("UPDATE log_index_state SET through = ?");
  /** Indexes from `through` on, a step at a time; returns how many seqs are left. */
  const index = immediate(
    db,
    (yielding: boolean) => {
      const from = through.get() as number;
      const to = last.get() as number;
      let at = from;
      while (at < to) {
        const end = Math.min(to, at + LOG_INDEX_STEP);
        fill.run(at, end);
        at = end;
        if (yielding && lockWanted()) break;
      }
      if (at > from) setThrough.run(at);
      return to - at;
    },
    // Nobody waits on the index: waiting writers go first.
    { background: true },
  );
  // Rows an earlier run of the process left unindexed (it crashed) are due at once.
  let waiting = (last.get() as number) - (through.get() as number);
  let lastRun = waiting > 0 ? Number.NEGATIVE_INFINITY : now();
  // A yielding run stopped part-way: the rest is due at once.
  let unfinished = false;
  return {
    appended(n) {
      waiting += n;
    },
    get due() {
      return unfinished || waiting >= chunk || (waiting > 0 && now() - lastRun >= maxAgeMs);
    },
    run(opts) {
      const left = index(opts?.yielding ?? false);
      unfinished = left > 0;
      waiting = left > 0 ? Math.min(waiting, left) : 0;
      lastRun = now();
    },
  };
}
