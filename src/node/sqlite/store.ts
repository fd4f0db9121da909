import Database from "better-sqlite3";
import type { CatalogStore, ProductInput } from "../../core/ports/catalog.js";
import type { DecisionEntry } from "../../core/ports/decisions.js";
import type {
  BlockRecord,
  CampaignStats,
  KindStats,
  LinkRecord,
  Logger,
  SeriesCount,
  Store,
  TrackEvent,
} from "../../core/ports/index.js";
import { recipientKey } from "../../core/profiles/identity.js";
import { createGroupCommit } from "../../core/util/group-commit.js";
import { privateDatabase } from "../data-dir.js";
import { BLOCK_DELETED_SQL, createBlockPurger } from "./block-purge.js";
import { startEventWriterThread } from "./event-writer-thread.js";
import { createFirstSeenWriter, type FirstSeen } from "./first-seen.js";
import { createLogIndexer, type LogIndexer, NEXT_SEQ_SQL } from "./log-index.js";
import { MIGRATIONS } from "./migrations.js";
import { immediate } from "./write-lock.js";

/**
 * WAL pages after which the event-writer thread's commit checkpoints (copies the WAL back
 * into the database file). Nobody waits on that thread's commits (opens and clicks were
 * answered already), so it can afford long checkpoints. Per-person writes (uniques, email
 * activity, the log's recipient index) land on random pages; a WAL this long holds several
 * versions of a hot page, and a checkpoint copies only the last one. 16,384 pages is a
 * 64 MB WAL, replayed in well under a second after a crash.
 */
export const WRITER_CHECKPOINT_PAGES = 16_384;
/**
 * The main thread's connection: a backstop only. A checkpoint of a long WAL takes tens of
 * milliseconds, which the writer threads pay off the request path; the main connection
 * checkpoints only if they have fallen this far behind. (The profile writer keeps SQLite's
 * default: its commits are waited on.)
 */
export const MAIN_CHECKPOINT_PAGES = 4 * WRITER_CHECKPOINT_PAGES;

export function openDatabase(file: string, opts: { checkpointPages?: number } = {}): Database.Database {
  const db = new Database(file);
  // Before WAL mode: the -wal and -shm files are created with the database's mode.
  privateDatabase(file);
  db.pragma("journal_mode = WAL");
  // FULL: a committed batch survives a power cut, not only a process crash. Group commit
  // keeps the fsync count low enough that this costs little.
  db.pragma("synchronous = FULL");
  db.pragma(`wal_autocheckpoint = ${opts.checkpointPages ?? 1000}`);
  // After a checkpoint resets the WAL, its file is cut back to this size (bytes).
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  // Statements other than a write transaction's BEGIN (write-lock.ts polls for that one).
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  // Deleted content is overwritten with zeros (rows, freed pages), so an erased person's
  // address is not left in the file's free space. Every connection: any of them may free
  // a page that held a person (a profile rewritten smaller, retention, erasure).
  db.pragma("secure_delete = ON");
  migrate(db);
  return db;
}

/**
 * Copies the whole WAL into the database file and truncates the WAL to zero bytes: old
 * versions of pages (an erased person's rows among them) are then in neither file. Waits
 * for readers through the busy handler; tries again a few times if they kept it busy.
 */
export function truncateWal(db: Database.Database): boolean {
  for (let i = 0; i < 5; i++) {
    const [row] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
    if (row && row.busy === 0) return true;
  }
  return false;
}

export function migrate(db: Database.Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * The one way events reach the log: a transaction inserting rows and bumping counters.
 * `erasedKeys` names the activity keys of the batch whose person was erased: such a hit
 * still counts for its campaign, but is logged without its recipient (nothing ties it to
 * them again). Returns the rows as logged and the last seq given, for the email-activity
 * fold (activity-fold.ts). `indexer` is told what was appended; whoever owns it runs it
 * when due, outside this transaction (log-index.ts).
 */
export function createEventWriter(
  db: Database.Database,
  opts: {
    erasedKeys?: (batch: readonly TrackEvent[]) => Set<string>;
    indexer?: LogIndexer;
    /** Campaign uniques are added by the activity fold instead (activity-fold.ts). */
    uniquesLater?: boolean;
  } = {},
): (batch: readonly TrackEvent[]) => { logged: readonly TrackEvent[]; through: number } {
  const { erasedKeys, indexer, uniquesLater } = opts;
  const nextSeq = db.prepare(NEXT_SEQ_SQL).pluck();
  const insertEvents = rowsWriter(
    db,
    "INSERT INTO events (seq, at, kind, campaign, link_id, recipient, class, reasons, ip, user_agent, method, corrects) VALUES",
    12,
    "",
  );
  const bumpCounter = db.prepare(
    `INSERT INTO campaign_counters (campaign, kind, class, total) VALUES (?, ?, ?, ?)
       ON CONFLICT (campaign, kind, class) DO UPDATE SET total = total + excluded.total`,
  );
  const addUniques = uniquesWriter(db);
  const moveUnique = uniqueMover(db);
  const write = immediate(db, (batch: readonly TrackEvent[]) => {
    const dropped = erasedKeys?.(batch);
    if (dropped?.size)
      batch = batch.map((e) =>
        e.recipient && dropped.has(recipientKey(e.recipient)) ? { ...e, recipient: null } : e,
      );
    // Seqs are assigned here, never reused (log-index.ts relies on it); the write lock is
    // held, so no other connection appends meanwhile.
    let seq = nextSeq.get() as number;
    const events = insertEvents();
    const uniques = addUniques();
    // Aggregate counter bumps in memory: one UPSERT per (campaign, kind, class) per batch.
    const bumps = new Map<string, [string, string, string, number]>();
    const bump = (campaign: string, kind: string, cls: string, n: number) => {
      const k = `${campaign}\u0000${kind}\u0000${cls}`;
      const b = bumps.get(k);
      if (b) b[3] += n;
      else bumps.set(k, [campaign, kind, cls, n]);
    };
    const corrections: TrackEvent[] = [];
    for (const e of batch) {
      events.add(
        seq++,
        e.at,
        e.kind,
        e.campaign,
        e.linkId,
        e.recipient,
        e.class,
        JSON.stringify(e.reasons),
        e.ip,
        e.userAgent,
        e.method,
        e.corrects ?? null,
      );
      bump(e.campaign, e.kind, e.class, 1);
      // A correction moves its hit from one class to the other: the total stays.
      if (e.corrects) bump(e.campaign, e.kind, e.corrects, -1);
      if (e.recipient && !uniquesLater) {
        if (e.corrects) corrections.push(e);
        else uniques.add(e.campaign, e.kind, e.recipient, e.class, e.at);
      }
    }
    events.end();
    uniques.end();
    // After the uniques they may move (the batch's own included).
    for (const c of corrections) moveUnique(c);
    for (const b of bumps.values()) bumpCounter.run(...b);
    indexer?.appended(batch.length);
    return { logged: batch, through: seq - 1 };
  });
  // IMMEDIATE like every write here: another connection writes the same file (the main
  // thread's profile groups vs the event-writer thread), and the write lock is taken up
  // front rather than upgraded from a read.
  return write;
}

/**
 * Rows of `campaign_uniques`, added in log order: the first row of a recipient sets its
 * class and time (ON CONFLICT keeps them).
 */
export function uniquesWriter(db: Database.Database) {
  return rowsWriter(
    db,
    "INSERT INTO campaign_uniques (campaign, kind, recipient, class, first_at) VALUES",
    5,
    "ON CONFLICT DO NOTHING",
  );
}

/**
 * Applies a correction (TrackEvent.corrects) to a unique: moved to the new class only when
 * the corrected hit is the one that made it (its class and time), so a person's earlier hit
 * of another class keeps the unique where it was. Run after the uniques it may move.
 */
export function uniqueMover(db: Database.Database) {
  const move = db.prepare(
    `UPDATE campaign_uniques SET class = @to
      WHERE campaign = @campaign AND kind = @kind AND recipient = @recipient AND class = @from AND first_at = @at`,
  );
  return (c: Pick<TrackEvent, "campaign" | "kind" | "recipient" | "class" | "corrects" | "at">) =>
    move.run({
      to: c.class,
      campaign: c.campaign,
      kind: c.kind,
      recipient: c.recipient,
      from: c.corrects,
      at: c.at,
    });
}

/**
 * An INSERT of many rows per statement: rows are buffered and written ROWS at a time by one
 * statement, the rest one by one at end(). A statement run is a call into SQLite and back
 * with its own result object; 50 rows per run took the log rows and uniques from 4.8 to
 * 3.8 µs of CPU per event in a writer benchmark. Rows keep their order.
 */
const ROWS = 50;
function rowsWriter(db: Database.Database, head: string, columns: number, tail: string) {
  const row = `(${new Array(columns).fill("?").join(", ")})`;
  const many = db.prepare(`${head} ${new Array(ROWS).fill(row).join(", ")} ${tail}`);
  const one = db.prepare(`${head} ${row} ${tail}`);
  /** A buffer for one transaction (nothing carries over if it fails). */
  return () => {
    let params: unknown[] = [];
    return {
      add(...values: unknown[]): void {
        for (const v of values) params.push(v);
        if (params.length === ROWS * columns) {
          many.run(...params);
          params = [];
        }
      },
      /** Writes the rows still buffered. */
      end(): void {
        for (let i = 0; i < params.length; i += columns) one.run(...params.slice(i, i + columns));
        params = [];
      },
    };
  };
}

const emptyKind = (): KindStats => ({ total: 0, unique: 0, byClass: {}, uniqueByClass: {} });

/** The embedded default store: one SQLite file in OPENTIME_DATA_DIR. */
export interface SqliteStoreOptions {
  /**
   * Commit event batches on a worker thread with its own connection. A batch of 2,000
   * events takes ~20 ms to insert and fsync here; on the main thread that would stall
   * every redirect in flight. The server turns this on; tests of the adapter may not.
   */
  offThreadWrites?: boolean;
  /**
   * With offThreadWrites: the event-writer thread also adds the opens/clicks to the
   * recipients' email activity, folded from the log every `foldMs` (activity-fold.ts;
   * events.settle() folds at once), with this OPENTIME_SECRET for the erased-person
   * check: the main thread does no profile work for /o, /c and /i.
   */
  offThreadProfiles?: { secret: string; logger?: Logger; foldMs?: number };
  /** With offThreadWrites: the group-commit window of first opens of evergreen timers (ms). */
  batchMs?: number;
  /** With offThreadWrites: days the writer thread keeps log rows (retention.ts); 0: for ever. */
  retentionDays?: number;
}

export function createSqliteStore(
  file: string,
  options: SqliteStoreOptions = {},
): Store & {
  db: Database.Database;
  /** With offThreadWrites: commits render decisions on the event-writer thread. */
  writeDecisions?: (batch: readonly DecisionEntry[]) => Promise<void>;
  /** With offThreadWrites: deleted blocks' rows are deleted on the event-writer thread. */
  purgeBlocks?: (blockId?: string) => Promise<void>;
  /** With offThreadWrites: a person's render decisions are erased on the event-writer thread. */
  eraseDecisions?: (recipient: string) => Promise<number>;
  /** With offThreadWrites: commits catalog writes on the event-writer thread. */
  upsertProducts?: CatalogStore["upsertMany"];
} {
  // With writer threads, they checkpoint; this connection only as a backstop.
  const db = openDatabase(file, options.offThreadWrites ? { checkpointPages: MAIN_CHECKPOINT_PAGES } : {});
  const insertLink = db.prepare(
    "INSERT INTO links (id, url, campaign, created_at) VALUES (@id, @url, @campaign, @createdAt) ON CONFLICT DO NOTHING",
  );
  const linkByCampaignUrl = db.prepare("SELECT * FROM links WHERE campaign = ? AND url = ?");
  const linkById = db.prepare("SELECT * FROM links WHERE id = ?");
  // One transaction, one fsync, for a wrapped email's links: one each stalled this thread
  // (every redirect in flight) ~1 ms per link, 0.5 s for a 500-link email.
  // The main thread's writes wait for the lock as a counted waiter (write-lock.ts): the
  // writer thread's background slices then end early instead of stalling every request.
  const putLinks = immediate(db, (batch: readonly LinkRecord[]): LinkRecord[] =>
    batch.map((link) => {
      const res = insertLink.run(link);
      if (res.changes === 0 && link.campaign !== null) {
        const existing = linkByCampaignUrl.get(link.campaign, link.url) as
          | Parameters<typeof toLink>[0]
          | undefined;
        if (existing) return toLink(existing);
      }
      return link;
    }),
  );
  // A class all of whose hits were corrected to another is left at 0: not shown.
  const countersOf = db.prepare(
    "SELECT kind, class, total FROM campaign_counters WHERE campaign = ? AND total <> 0",
  );
  // Kept by triggers on campaign_uniques (migration 9).
  const uniquesOf = db.prepare(
    "SELECT kind, class, n FROM campaign_unique_counts WHERE campaign = ? AND n > 0",
  );

  // Reads the (campaign, at) index (migration 21) over the range only. JS numbers are bound
  // as REAL: the bucket is cast, or a division would leave fractions.
  const seriesOf = db.prepare(
    `SELECT CAST((at - @from) / @interval AS INTEGER) AS bucket, kind, class, count(*) AS n FROM events
      WHERE campaign = @campaign AND at >= @from AND at < @to GROUP BY 1, 2, 3
     UNION ALL
     SELECT CAST((at - @from) / @interval AS INTEGER), kind, corrects, -count(*) FROM events
      WHERE campaign = @campaign AND at >= @from AND at < @to AND corrects IS NOT NULL GROUP BY 1, 2, 3`,
  );
  const campaignList = db.prepare(
    `SELECT campaign, sum(CASE WHEN kind = 'open' THEN total ELSE 0 END) AS opens,
            sum(CASE WHEN kind = 'click' THEN total ELSE 0 END) AS clicks
       FROM campaign_counters GROUP BY campaign ORDER BY campaign LIMIT ?`,
  );
  const blockList = db.prepare("SELECT * FROM blocks ORDER BY updated_at DESC, id LIMIT ?");

  const toLink = (r: {
    id: string;
    url: string;
    campaign: string | null;
    created_at: number;
  }): LinkRecord => ({
    id: r.id,
    url: r.url,
    campaign: r.campaign,
    createdAt: r.created_at,
  });

  const writer = options.offThreadWrites
    ? startEventWriterThread(file, options.offThreadProfiles, options.retentionDays)
    : null;
  const inlineIndexer = writer ? null : createLogIndexer(db);
  const appendInline = createEventWriter(db, { indexer: inlineIndexer ?? undefined });

  const insertBlock = db.prepare(
    "INSERT INTO blocks (id, type, options, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const blockById = db.prepare("SELECT * FROM blocks WHERE id = ?");
  const addBlock = immediate(db, (b: BlockRecord) =>
    insertBlock.run(b.id, b.type, JSON.stringify(b.options), b.version, b.createdAt, b.updatedAt),
  );
  const updateBlock = db.prepare(
    "UPDATE blocks SET options = ?, version = version + 1, updated_at = ? WHERE id = ? RETURNING *",
  );
  const changeBlock = immediate(
    db,
    (id: string, options: unknown, at: number) =>
      updateBlock.get(JSON.stringify(options), at, id) as BlockRow | undefined,
  );
  const deleteBlock = db.prepare("DELETE FROM blocks WHERE id = ?");
  // What a deleted block leaves (its first opens here, its decisions in decision-store.ts)
  // is deleted a slice at a time from its mark (block-purge.ts), on the writer thread if any.
  const purger = createBlockPurger(db);
  const deleteMarked = immediate(db, (id: string) => {
    const gone = deleteBlock.run(id).changes > 0;
    if (gone) purger.mark(id);
    return gone;
  });
  // A deleted block's first opens answer nothing while they are purged (block-purge.ts).
  const firstSeenOf = db.prepare(
    `SELECT at FROM block_first_seen WHERE block_id = @id AND recipient = @r AND NOT ${BLOCK_DELETED_SQL}`,
  );
  const storedStart = (blockId: string, recipient: string) =>
    (firstSeenOf.get({ id: blockId, r: recipient }) as { at: number } | undefined)?.at ?? null;
  const writeFirstSeenHere = createFirstSeenWriter(db);
  // First opens of evergreen timers. Written here, each new recipient cost a transaction
  // and an fsync on the main thread (an evergreen send opened at 1,600 req/s, p99 60 ms,
  // against 16,000 for a fixed deadline). With a writer thread they are group-committed
  // there like opens (a crash loses at most the window: that person's start is then taken
  // again at their next open); until written, `pendingStarts` answers for them.
  const pendingStarts = new Map<string, FirstSeen>();
  const startKey = (blockId: string, recipient: string) => `${blockId}\u0000${recipient}`;
  const forgetStart = (f: FirstSeen) => {
    const k = startKey(f.blockId, f.recipient);
    if (pendingStarts.get(k) === f) pendingStarts.delete(k);
  };
  const starts = writer
    ? createGroupCommit<FirstSeen>({
        write: (batch) => writer.firstSeen(batch),
        windowMs: options.batchMs ?? 50,
        maxBatch: 2000,
        maxBuffered: 200_000,
        logger: options.offThreadProfiles?.logger,
        what: "first-open",
        onWritten: (batch) => {
          for (const f of batch) forgetStart(f);
        },
        onDropped: forgetStart,
      })
    : null;
  type BlockRow = {
    id: string;
    type: BlockRecord["type"];
    options: string;
    version: number;
    created_at: number;
    updated_at: number;
  };
  const toBlock = (r: BlockRow): BlockRecord => ({
    id: r.id,
    type: r.type,
    options: JSON.parse(r.options),
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  return {
    db,
    ...(writer
      ? {
          writeDecisions: (batch: readonly DecisionEntry[]) => writer.decisions(batch),
          purgeBlocks: (blockId?: string) => writer.purgeBlocks(blockId),
          eraseDecisions: (recipient: string) => writer.eraseDecisions(recipient),
          upsertProducts: (products: readonly ProductInput[], at: number) =>
            writer.upsertProducts(products, at),
        }
      : {}),
    blocks: {
      async create(b) {
        // An id used again while its old rows are purged: they go first, all at once.
        purger.block(b.id);
        addBlock(b);
      },
      async list(limit) {
        return (blockList.all(limit) as BlockRow[]).map(toBlock);
      },
      async get(id) {
        const r = blockById.get(id) as BlockRow | undefined;
        return r ? toBlock(r) : null;
      },
      async update(id, options, at) {
        const r = changeBlock(id, options, at);
        return r ? toBlock(r) : null;
      },
      async delete(id) {
        if (starts) {
          // Written first (a batch already on its way would otherwise land after the
          // delete), then anything added meanwhile dropped.
          await starts.flush();
          starts.discard((f) => f.blockId === id);
          for (const [k, f] of pendingStarts) if (f.blockId === id) pendingStarts.delete(k);
        }
        const deleted = deleteMarked(id);
        if (deleted) {
          if (writer) await writer.purgeBlocks();
          else purger.all();
        }
        return deleted;
      },
      async firstSeen(blockId, recipient, at) {
        if (!starts) {
          writeFirstSeenHere([{ blockId, recipient, at }]);
          return storedStart(blockId, recipient)!;
        }
        const k = startKey(blockId, recipient);
        const known = pendingStarts.get(k)?.at ?? storedStart(blockId, recipient);
        if (known !== null) return known;
        const f = { blockId, recipient, at };
        pendingStarts.set(k, f);
        starts.add(f);
        return at;
      },
      async peekFirstSeen(blockId, recipient) {
        return pendingStarts.get(startKey(blockId, recipient))?.at ?? storedStart(blockId, recipient);
      },
    },
    links: {
      async put(batch) {
        return putLinks(batch);
      },
      async get(id) {
        const r = linkById.get(id) as Parameters<typeof toLink>[0] | undefined;
        return r ? toLink(r) : null;
      },
    },
    events: {
      async append(batch) {
        if (!batch.length) return;
        if (writer) await writer.append(batch);
        else {
          appendInline(batch);
          if (inlineIndexer?.due) inlineIndexer.run();
        }
      },
      ...(writer ? { settle: () => writer.settle() } : {}),
      async campaignSeries(campaign, from, to, interval) {
        return seriesOf.all({ campaign, from, to, interval }) as SeriesCount[];
      },
      async campaigns(limit) {
        return campaignList.all(limit) as { campaign: string; opens: number; clicks: number }[];
      },
      async campaignStats(campaign): Promise<CampaignStats> {
        const stats: CampaignStats = { opens: emptyKind(), clicks: emptyKind() };
        const pick = (kind: string) => (kind === "open" ? stats.opens : stats.clicks);
        for (const r of countersOf.all(campaign) as { kind: string; class: string; total: number }[]) {
          const k = pick(r.kind);
          k.total += r.total;
          k.byClass[r.class] = r.total;
        }
        for (const r of uniquesOf.all(campaign) as { kind: string; class: string; n: number }[]) {
          const k = pick(r.kind);
          k.unique += r.n;
          k.uniqueByClass[r.class] = r.n;
        }
        return stats;
      },
    },
    async ping() {
      return (db.prepare("SELECT 1 AS ok").get() as { ok: number }).ok === 1;
    },
    async close() {
      await starts?.close();
      await writer?.close();
      if (db.open) {
        inlineIndexer?.run(); // as the writer thread does at shutdown
        db.close();
      }
    },
  };
}
