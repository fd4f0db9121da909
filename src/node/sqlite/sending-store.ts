import type Database from "better-sqlite3";
import {
  SEND_STATUSES,
  type SendChanges,
  type SendingStore,
  type SendRecord,
  type SendStatus,
  type TemplateContent,
  type TemplateRecord,
} from "../../core/ports/sending.js";
import { immediate } from "./write-lock.js";

type SendRow = { body: string; message: string | null };
type VersionRow = { body: string };

const toRecord = (r: SendRow): SendRecord => {
  const rec = JSON.parse(r.body) as SendRecord;
  rec.message = r.message === null ? null : JSON.parse(r.message);
  return rec;
};

/** Templates and attempts in the same SQLite file as everything else (migration 18). */
export function createSqliteSendingStore(db: Database.Database): SendingStore {
  const insertTemplate = db.prepare("INSERT INTO templates (id, latest) VALUES (?, ?)");
  const insertVersion = db.prepare("INSERT INTO template_versions (id, version, body) VALUES (?, ?, ?)");
  const latestOf = db.prepare("SELECT latest FROM templates WHERE id = ?").pluck();
  const bumpLatest = db.prepare("UPDATE templates SET latest = ? WHERE id = ?");
  const versionOf = db.prepare("SELECT body FROM template_versions WHERE id = ? AND version = ?");
  const latestVersion = db.prepare(
    `SELECT v.body FROM templates t JOIN template_versions v ON v.id = t.id AND v.version = t.latest
      WHERE t.id = ?`,
  );
  const listFirst = db.prepare(
    `SELECT v.body FROM templates t JOIN template_versions v ON v.id = t.id AND v.version = t.latest
      ORDER BY t.rowid LIMIT ?`,
  );
  const listAfter = db.prepare(
    `SELECT v.body FROM templates t JOIN template_versions v ON v.id = t.id AND v.version = t.latest
      WHERE t.rowid > (SELECT rowid FROM templates WHERE id = ?) ORDER BY t.rowid LIMIT ?`,
  );
  const deleteTemplate = db.prepare("DELETE FROM templates WHERE id = ?");
  const deleteVersions = db.prepare("DELETE FROM template_versions WHERE id = ?");

  const insertSend = db.prepare(
    `INSERT INTO sends (id, key, profile_id, status, priority, next_at, provider, provider_id, campaign,
                        u, created_at, updated_at, body, message)
       VALUES (@id, @key, @profileId, @status, @priority, @nextAt, @provider, @providerId, @campaign,
               @u, @createdAt, @updatedAt, @body, @message)`,
  );
  const updateSend = db.prepare(
    `UPDATE sends SET status = @status, priority = @priority, next_at = @nextAt, provider = @provider,
        provider_id = @providerId, campaign = @campaign, u = @u, updated_at = @updatedAt, body = @body
      WHERE id = @id`,
  );
  const setMessage = db.prepare("UPDATE sends SET message = ? WHERE id = ?");
  const eraseSends = db.prepare("DELETE FROM sends WHERE profile_id = ?");
  const bodyOf = db.prepare("SELECT body, NULL AS message FROM sends WHERE id = ?");
  const byId = db.prepare("SELECT body, message FROM sends WHERE id = ?");
  const byKey = db.prepare("SELECT body, message FROM sends WHERE key = ?");
  const byProvider = db.prepare(
    "SELECT body, message FROM sends WHERE provider_id = ? ORDER BY created_at DESC LIMIT 1",
  );
  const byRecipient = db.prepare(
    `SELECT body, message FROM sends WHERE campaign = ? AND u = ? AND status = 'sent'
      ORDER BY created_at DESC LIMIT 1`,
  );
  const ofPerson = db.prepare(
    `SELECT body, message FROM sends WHERE profile_id = ? AND created_at >= ? AND created_at < ?
      ORDER BY created_at DESC, id DESC LIMIT ?`,
  );
  const due = db.prepare(
    `SELECT body, message FROM sends WHERE status = 'queued' AND next_at <= ?
      ORDER BY priority DESC, next_at LIMIT ?`,
  );
  const dead = db.prepare(
    `SELECT body, message FROM sends WHERE status = 'dead' AND updated_at < ?
      ORDER BY updated_at DESC, id DESC LIMIT ?`,
  );
  const counts = db.prepare("SELECT status, count(*) AS n FROM sends GROUP BY status");

  // The columns queries filter or order by; everything else lives in `body` (JSON).
  const columnsOf = (r: SendRecord) => {
    const { message: _m, ...rest } = r;
    return {
      id: r.id,
      status: r.status,
      priority: r.priority,
      nextAt: r.nextAt,
      provider: r.provider,
      providerId: r.providerId,
      campaign: r.campaign,
      u: r.u,
      updatedAt: r.updatedAt,
      body: JSON.stringify(rest),
    };
  };
  const update = (id: string, set: SendChanges) => {
    const row = bodyOf.get(id) as SendRow | undefined;
    if (!row) return;
    const merged = { ...toRecord(row), ...set };
    updateSend.run(columnsOf(merged));
    if ("message" in set) setMessage.run(set.message ? JSON.stringify(set.message) : null, id);
  };

  // Every write as a counted waiter for the lock (write-lock.ts): this is the main thread.
  const createTemplate = immediate(db, (t: TemplateRecord) => {
    insertTemplate.run(t.id, t.version);
    insertVersion.run(t.id, t.version, JSON.stringify(t));
  });
  const updateTemplate = immediate(db, (id: string, content: TemplateContent, at: number) => {
    const latest = latestOf.get(id) as number | undefined;
    if (latest === undefined) return null;
    const prev = JSON.parse((versionOf.get(id, latest) as VersionRow).body) as TemplateRecord;
    const next: TemplateRecord = {
      ...content,
      id,
      version: latest + 1,
      createdAt: prev.createdAt,
      updatedAt: at,
    };
    insertVersion.run(id, next.version, JSON.stringify(next));
    bumpLatest.run(next.version, id);
    return next;
  });
  const removeTemplate = immediate(db, (id: string) => {
    deleteVersions.run(id);
    return deleteTemplate.run(id).changes > 0;
  });
  const write = immediate(db, (batch: readonly Parameters<SendingStore["sends"]["write"]>[0][number][]) => {
    for (const w of batch) {
      if ("insert" in w) {
        const r = w.insert;
        insertSend.run({
          ...columnsOf(r),
          key: r.key,
          profileId: r.profileId,
          createdAt: r.createdAt,
          message: r.message ? JSON.stringify(r.message) : null,
        });
      } else if ("erase" in w) eraseSends.run(w.erase);
      else update(w.update, w.set);
    }
  });

  const one = (row: unknown) => (row ? toRecord(row as SendRow) : null);
  const all = (rows: unknown[]) => (rows as SendRow[]).map(toRecord);

  return {
    templates: {
      async create(t) {
        createTemplate(t);
      },
      async get(id, version) {
        const row = (version === undefined ? latestVersion.get(id) : versionOf.get(id, version)) as
          | VersionRow
          | undefined;
        return row ? (JSON.parse(row.body) as TemplateRecord) : null;
      },
      async list(limit, after) {
        const rows = (
          after === undefined ? listFirst.all(limit) : listAfter.all(after, limit)
        ) as VersionRow[];
        return rows.map((r) => JSON.parse(r.body) as TemplateRecord);
      },
      async update(id, content, at) {
        return updateTemplate(id, content, at);
      },
      async delete(id) {
        return removeTemplate(id);
      },
    },
    sends: {
      async write(batch) {
        if (batch.length) write(batch);
      },
      async get(id) {
        return one(byId.get(id));
      },
      async byKey(key) {
        return one(byKey.get(key));
      },
      async byProviderId(providerId) {
        return one(byProvider.get(providerId));
      },
      async byRecipient(campaign, u) {
        return one(byRecipient.get(campaign, u));
      },
      async ofPerson(profileId, { since, limit, before }) {
        return all(ofPerson.all(profileId, since ?? 0, before ?? Number.MAX_SAFE_INTEGER, limit));
      },
      async due(now, limit) {
        return all(due.all(now, limit));
      },
      async dead(limit, before) {
        return all(dead.all(before ?? Number.MAX_SAFE_INTEGER, limit));
      },
      async countByStatus() {
        const out = Object.fromEntries(SEND_STATUSES.map((s) => [s, 0])) as Record<SendStatus, number>;
        for (const r of counts.all() as { status: SendStatus; n: number }[]) out[r.status] = r.n;
        return out;
      },
    },
  };
}
