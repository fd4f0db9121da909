import type Database from "better-sqlite3";
import type {
  EraseResult,
  Profile,
  ProfileStore,
  ProfileTx,
  ProfileWrite,
  StoredEvent,
  TrackingRow,
} from "../../core/ports/profiles.js";
import { serializeProfile } from "../../core/profiles/bounds.js";
import { parseProfile } from "../../core/profiles/model.js";
import { createActivityTable } from "./activity-table.js";
import { createEmailRefs } from "./email-refs.js";
import { erasedList } from "./erased-list.js";
import {
  EPOCHS_SQL,
  INDEXED_SEQS_SQL,
  TRACKING_SQL,
  UNINDEXED_SQL,
  UNIQUES_OF_RECIPIENT_SQL,
} from "./log-index.js";
import { truncateWal } from "./store.js";
import { immediate } from "./write-lock.js";

interface EventRow {
  seq: number;
  profile_id: string;
  message_id: string;
  type: string;
  event: string | null;
  at: number;
  received_at: number;
  body: string;
}

const storedEvent = (r: EventRow): StoredEvent => ({
  seq: r.seq,
  profileId: r.profile_id,
  messageId: r.message_id,
  type: r.type,
  event: r.event,
  at: r.at,
  receivedAt: r.received_at,
  body: r.body,
});

/**
 * Profiles in the same SQLite file as the rest (tables from migration 3). Profiles are
 * one JSON document each: every read wants the whole person, and one row per write keeps
 * a group commit to a few statements per person. Each commit is one transaction, so an
 * acknowledged event, the profile it changed and its dedupe key land together or not at all.
 */
export function createSqliteProfileStore(db: Database.Database): ProfileStore {
  const lookupKey = db.prepare("SELECT profile_id FROM profile_identities WHERE key = ?").pluck();
  const getProfile = db.prepare("SELECT doc FROM profiles WHERE id = ?").pluck();
  const keysOf = db.prepare("SELECT key FROM profile_identities WHERE profile_id = ? ORDER BY key").pluck();
  const seenKey = db.prepare("SELECT 1 FROM ingest_dedupe WHERE key = ?").pluck();
  const erasedPeople = erasedList(db);
  const moveIdentities = db.prepare("UPDATE profile_identities SET profile_id = ? WHERE profile_id = ?");
  const moveEvents = db.prepare("UPDATE profile_events SET profile_id = ? WHERE profile_id = ?");
  const deleteProfile = db.prepare("DELETE FROM profiles WHERE id = ?");
  const upsertIdentity = db.prepare(
    "INSERT INTO profile_identities (key, profile_id) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET profile_id = excluded.profile_id",
  );
  const upsertProfile = db.prepare(
    "INSERT INTO profiles (id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
  );
  const insertEvent = db.prepare(
    `INSERT INTO profile_events (profile_id, message_id, type, event, at, received_at, body)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertSeen = db.prepare("INSERT INTO ingest_dedupe (key, at) VALUES (?, ?) ON CONFLICT DO NOTHING");
  const EVENT_COLUMNS = "seq, profile_id, message_id, type, event, at, received_at, body";
  const eventsOf = db.prepare(
    `SELECT ${EVENT_COLUMNS} FROM profile_events WHERE profile_id = ? ORDER BY at, seq LIMIT ?`,
  );
  const countEvents = db.prepare("SELECT COUNT(*) FROM profile_events WHERE profile_id = ?").pluck();
  const latestEventsOf = db.prepare(
    `SELECT ${EVENT_COLUMNS} FROM profile_events WHERE profile_id = ? ORDER BY at DESC, seq DESC LIMIT ?`,
  );
  const pruneSeen = db.prepare(
    "DELETE FROM ingest_dedupe WHERE key IN (SELECT key FROM ingest_dedupe WHERE at < ? ORDER BY at LIMIT ?)",
  );
  const insertErased = db.prepare(
    "INSERT INTO erased_identities (hash, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
  );
  const emailRefs = createEmailRefs(db);
  const rewriteEvent = db.prepare("UPDATE profile_events SET body = ? WHERE seq = ?");

  const commitRows = (w: ProfileWrite) => {
    // Merges first: rows already stored under a merged-away profile move to the survivor;
    // rows of this commit already carry the survivor's id.
    for (const m of w.merged) {
      moveIdentities.run(m.to, m.from);
      moveEvents.run(m.to, m.from);
      emailRefs.move(m.from, m.to);
      deleteProfile.run(m.from);
    }
    for (const [key, id] of w.identities) upsertIdentity.run(key, id);
    for (const p of w.profiles) upsertProfile.run(p.id, serializeProfile(p), p.updatedAt);
    for (const e of w.events)
      insertEvent.run(e.profileId, e.messageId, e.type, e.event, e.at, e.receivedAt, e.body);
    for (const [key, at] of w.seen) insertSeen.run(key, at);
    emailRefs.add(w.emailRefs);
  };
  // Every profile write transaction is BEGIN IMMEDIATE (write-lock.ts): two connections
  // write profiles (the profile writer: Segment, ESP webhooks, erasure; the event-writer
  // thread: opens/clicks). IMMEDIATE takes the write lock up front, so the other side
  // waits for it instead of a deferred read-then-write failing with SQLITE_BUSY on a
  // stale snapshot, and no commit can land between a transaction's reads and writes.
  const commit = immediate(db, commitRows);
  const transact = immediate(db, <T>(fn: (tx: ProfileTx) => T): T => fn(tx));
  const tx: ProfileTx = {
    lookup: (keys) => lookupSync(keys),
    get: (ids) => getSync(ids),
    history: (ids, max) => {
      // Counted on the index first: a person past the bound costs no read of their rows.
      let n = 0;
      for (const id of ids) n += countEvents.get(id) as number;
      if (n > max) return null;
      const out: StoredEvent[] = [];
      for (const id of ids) for (const r of eventsOf.all(id, -1) as EventRow[]) out.push(storedEvent(r));
      return ids.length > 1 ? out.sort((a, b) => a.at - b.at || a.seq! - b.seq!) : out;
    },
    seen: (keys) => new Set(keys.filter((k) => seenKey.get(k) !== undefined)),
    erased: (hashes) => new Set(hashes.filter((h) => erasedPeople.has(h))),
    commit: commitRows,
  };
  const lookupSync = (keys: readonly string[]) => {
    const out = new Map<string, string>();
    for (const k of keys) {
      const id = lookupKey.get(k) as string | undefined;
      if (id) out.set(k, id);
    }
    return out;
  };
  const getSync = (ids: readonly string[]) => {
    const out = new Map<string, Profile>();
    for (const id of ids) {
      const doc = getProfile.get(id) as string | undefined;
      if (doc) out.set(id, parseProfile(doc));
    }
    return out;
  };

  // Evergreen timers' first opens, by their recipient index. Render decisions are the
  // decision log's (its eraseRecipient, which the erasure route calls next).
  const eraseFirstSeen = db.prepare("DELETE FROM block_first_seen WHERE recipient = ?");
  // The open/click log, through its per-recipient index (log-index.ts). The deletes give
  // back each row's campaign and kind: the person's uniques are found from them.
  const eraseLogIndexed = db
    .prepare(
      `DELETE FROM events WHERE seq IN (${INDEXED_SEQS_SQL}) AND recipient = @r RETURNING campaign, kind`,
    )
    .raw();
  const eraseLogTail = db
    .prepare(`DELETE FROM events WHERE ${UNINDEXED_SQL} AND recipient = @r RETURNING campaign, kind`)
    .raw();
  const eraseLogIndex = db.prepare(
    `DELETE FROM events_by_recipient WHERE epoch IN (${EPOCHS_SQL}) AND recipient = ?`,
  );
  /**
   * Deletes a person's log rows: how many, and the (campaign, kind) pairs they had, each
   * once (read as they go: a scanner's rows may be many).
   */
  const eraseFromLog = (r: string) => {
    const pairs = new Map<string, [string, string]>();
    let n = 0;
    for (const stmt of [eraseLogIndexed, eraseLogTail])
      for (const pair of stmt.iterate({ r }) as IterableIterator<[string, string]>) {
        n++;
        pairs.set(`${pair[0]}\u0000${pair[1]}`, pair);
      }
    eraseLogIndex.run(r);
    return { n, pairs };
  };
  // A person's campaign uniques, by primary key: those of their log rows, and of rows
  // retention pruned, by the entries it wrote (log-index.ts: UNIQUES_OF_RECIPIENT_SQL).
  const uniquesOfRecipient = db.prepare(UNIQUES_OF_RECIPIENT_SQL).raw();
  const eraseUnique = db.prepare(
    "DELETE FROM campaign_uniques WHERE campaign = ? AND kind = ? AND recipient = ?",
  );
  const eraseUniquesIndex = db.prepare("DELETE FROM campaign_uniques_by_recipient WHERE recipient = ?");
  const eraseUniques = (r: string, pairs: Map<string, [string, string]>) => {
    for (const p of uniquesOfRecipient.all({ r }) as [string, string][]) pairs.set(`${p[0]}\u0000${p[1]}`, p);
    let n = 0;
    for (const [campaign, kind] of pairs.values()) n += eraseUnique.run(campaign, kind, r).changes;
    eraseUniquesIndex.run(r);
    return n;
  };
  const activity = createActivityTable(db);
  const addActivity = immediate(
    db,
    (deltas: Parameters<ProfileStore["addActivity"]>[0], hashes: ReadonlyMap<string, string>) =>
      activity.add(deltas, (k) => hashes.get(k)),
  );

  const erase = immediate(db, (req: Parameters<ProfileStore["erase"]>[0]): EraseResult => {
    let events = 0;
    let identities = 0;
    if (req.profileId) {
      events = db.prepare("DELETE FROM profile_events WHERE profile_id = ?").run(req.profileId).changes;
      identities = db
        .prepare("DELETE FROM profile_identities WHERE profile_id = ?")
        .run(req.profileId).changes;
      deleteProfile.run(req.profileId);
    }
    const activityRows = activity.delete(req.activityKeys);
    let tracking = 0;
    let other = 0;
    for (const r of req.recipients) {
      const logged = eraseFromLog(r);
      tracking += logged.n;
      other += eraseUniques(r, logged.pairs);
      other += eraseFirstSeen.run(r).changes;
    }
    for (const h of req.hashes) insertErased.run(h, req.at);
    // Other people's profiles that named the person's addresses, without them now.
    emailRefs.forget(req.profileId, req.emails ?? []);
    for (const s of req.scrubbed ?? []) {
      for (const e of s.events) rewriteEvent.run(e.body, e.seq);
      upsertProfile.run(s.profile.id, serializeProfile(s.profile), s.profile.updatedAt);
    }
    return { events, identities, tracking, other: other + activityRows };
  });

  const idsAfter = db.prepare("SELECT id FROM profiles WHERE id > ? ORDER BY id LIMIT ?").pluck();
  const prune = immediate(db, (before: number, max: number) => pruneSeen.run(before, max).changes);

  const trackingOf = db.prepare(TRACKING_SQL);

  return {
    async lookup(keys) {
      return lookupSync(keys);
    },
    async get(ids) {
      return getSync(ids);
    },
    async profileIds(after, limit) {
      return idsAfter.all(after ?? "", Math.max(0, Math.min(limit, 10_000))) as string[];
    },
    async keysOf(profileId) {
      return keysOf.all(profileId) as string[];
    },
    async seen(keys) {
      return tx.seen(keys);
    },
    async erased(hashes) {
      return tx.erased(hashes);
    },
    async commit(w) {
      commit(w);
    },
    transact(fn) {
      return transact(fn) as ReturnType<typeof fn>;
    },
    async events(profileId, limit) {
      const rows =
        limit === undefined ? eventsOf.all(profileId, -1) : latestEventsOf.all(profileId, limit).reverse();
      return (rows as EventRow[]).map(storedEvent);
    },
    async tracking(recipients, limit) {
      const rows: (TrackingRow & { seq: number })[] = [];
      for (const r of recipients)
        rows.push(...(trackingOf.all({ r, limit: limit ?? -1 }) as (TrackingRow & { seq: number })[]));
      rows.sort((a, b) => a.seq - b.seq);
      const kept = limit === undefined ? rows : rows.slice(-limit);
      return kept.map(({ seq: _, ...row }) => row);
    },
    async activity(keys) {
      return activity.read(keys);
    },
    async addActivity(deltas, hashes) {
      return addActivity(deltas, hashes);
    },
    async erase(req) {
      return erase(req);
    },
    async emailHolders(emails) {
      return emailRefs.holders(emails);
    },
    async expunge() {
      if (!truncateWal(db)) throw new Error("the WAL could not be truncated: readers kept it busy");
    },
    async pruneSeen(before, max) {
      return prune(before, max);
    },
  };
}
