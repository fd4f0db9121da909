import type Database from "better-sqlite3";
import type {
  CouponStore,
  Grant,
  GrantLevel,
  PollStore,
  PoolStats,
  SourceRecord,
  SourceStore,
} from "../../core/ports/live.js";
import { dict } from "../../core/util/dict.js";
import { immediate } from "./write-lock.js";

// Stores of live content (migration 21). Every write is one small synchronous transaction
// (`immediate`), ready to move onto a writer thread as it is.

/** Sources, stored as their JSON (no secrets in it: headers name environment variables). */
export function createSqliteSourceStore(db: Database.Database): SourceStore {
  const upsert = db.prepare(
    `INSERT INTO sources (id, body, created_at) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET body = excluded.body`,
  );
  const one = db.prepare("SELECT body FROM sources WHERE id = ?").pluck();
  const all = db.prepare("SELECT body FROM sources ORDER BY created_at, id").pluck();
  const remove = db.prepare("DELETE FROM sources WHERE id = ?");
  const save = immediate(db, (s: SourceRecord) => upsert.run(s.id, JSON.stringify(s), s.createdAt));
  const del = immediate(db, (id: string) => remove.run(id).changes > 0);
  return {
    async save(source) {
      save(source);
    },
    async get(id) {
      const body = one.get(id) as string | undefined;
      return body ? (JSON.parse(body) as SourceRecord) : null;
    },
    async list() {
      return (all.all() as string[]).map((b) => JSON.parse(b) as SourceRecord);
    },
    async delete(id) {
      return del(id);
    },
  };
}

export function createSqlitePollStore(db: Database.Database): PollStore {
  const upsert = db.prepare(
    `INSERT INTO poll_votes (poll_id, recipient, option, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (poll_id, recipient) DO UPDATE SET option = excluded.option, at = excluded.at`,
  );
  const counts = db.prepare("SELECT option, count(*) AS n FROM poll_votes WHERE poll_id = ? GROUP BY option");
  const vote = immediate(db, (...a: [string, string, string, number]) => upsert.run(...a));
  const removeVotes = db.prepare("DELETE FROM poll_votes WHERE recipient = ?");
  const erase = immediate(db, (recipient: string) => removeVotes.run(recipient).changes);
  return {
    async vote(pollId, recipient, option, at) {
      vote(pollId, recipient, option, at);
    },
    async tally(pollId) {
      const out = dict<number>();
      for (const r of counts.all(pollId) as { option: string; n: number }[]) out[r.option] = r.n;
      return out;
    },
    async eraseRecipient(recipient) {
      return erase(recipient);
    },
  };
}

type GrantRow = { level: string; pool: string | null; code: string | null; at: number };

export function createSqliteCouponStore(db: Database.Database): CouponStore {
  const insertCode = db.prepare(
    "INSERT INTO coupon_codes (pool, code, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  );
  const statsOf = db.prepare(
    `SELECT count(*) AS total, count(recipient) AS assigned, count(redeemed_at) AS redeemed
       FROM coupon_codes WHERE pool = ?`,
  );
  const grantRow = db.prepare(
    "SELECT level, pool, code, at FROM offer_grants WHERE offer_id = ? AND recipient = ?",
  );
  const levelCount = db.prepare("SELECT count(*) FROM offer_grants WHERE offer_id = ? AND level = ?").pluck();
  const heldCode = db.prepare("SELECT code FROM coupon_codes WHERE pool = ? AND recipient = ?").pluck();
  // One statement takes the oldest free code: the partial index finds it, the write lock
  // (BEGIN IMMEDIATE) keeps any other connection from taking the same one meanwhile.
  const takeCode = db
    .prepare(
      `UPDATE coupon_codes SET recipient = ?, assigned_at = ?
        WHERE rowid = (SELECT rowid FROM coupon_codes WHERE pool = ? AND recipient IS NULL
                        ORDER BY added_at, rowid LIMIT 1)
        RETURNING code`,
    )
    .pluck();
  const insertGrant = db.prepare(
    "INSERT INTO offer_grants (offer_id, recipient, level, pool, code, at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const setGrantCode = db.prepare("UPDATE offer_grants SET code = ? WHERE offer_id = ? AND recipient = ?");
  const redeemCode = db.prepare(
    "UPDATE coupon_codes SET redeemed_at = ? WHERE code = ? AND recipient IS NOT NULL AND redeemed_at IS NULL",
  );

  const codeFor = (pool: string, recipient: string, at: number): string | null =>
    (heldCode.get(pool, recipient) as string | undefined) ??
    (takeCode.get(recipient, at, pool) as string | undefined) ??
    null;

  const add = immediate(db, (pool: string, codes: readonly string[], at: number) => {
    const seen = new Set<string>();
    const duplicates: string[] = [];
    let added = 0;
    for (const code of codes) {
      if (seen.has(code) || insertCode.run(pool, code, at).changes === 0) duplicates.push(code);
      else added++;
      seen.add(code);
    }
    return { added, duplicates };
  });
  const grant = immediate(
    db,
    (offerId: string, recipient: string, levels: readonly GrantLevel[], at: number): Grant | null => {
      const known = grantRow.get(offerId, recipient) as GrantRow | undefined;
      if (known) {
        // Granted while its pool was empty: a code uploaded since is handed out now.
        if (known.code === null && known.pool !== null) {
          const code = codeFor(known.pool, recipient, at);
          if (code !== null) setGrantCode.run(code, offerId, recipient);
          return { level: known.level, code, at: known.at };
        }
        return { level: known.level, code: known.code, at: known.at };
      }
      for (const l of levels) {
        if (l.cap !== null && (levelCount.get(offerId, l.level) as number) >= l.cap) continue;
        const code = l.pool === null ? null : codeFor(l.pool, recipient, at);
        insertGrant.run(offerId, recipient, l.level, l.pool, code, at);
        return { level: l.level, code, at };
      }
      return null;
    },
  );
  const redeem = immediate(db, (code: string, at: number) => redeemCode.run(at, code).changes > 0);
  const removeGrants = db.prepare("DELETE FROM offer_grants WHERE recipient = ?");
  // Unique per pool and never NULL again: the code stays taken, by nobody nameable.
  const unname = db.prepare("UPDATE coupon_codes SET recipient = 'erased:' || code WHERE recipient = ?");
  const erase = immediate(
    db,
    (recipient: string) => removeGrants.run(recipient).changes + unname.run(recipient).changes,
  );

  return {
    async addCodes(pool, codes, at) {
      return add(pool, codes, at);
    },
    async stats(pool): Promise<PoolStats> {
      const r = statsOf.get(pool) as { total: number; assigned: number; redeemed: number };
      return { pool, ...r, available: r.total - r.assigned };
    },
    async grant(offerId, recipient, levels, at) {
      return grant(offerId, recipient, levels, at);
    },
    async grantOf(offerId, recipient) {
      const r = grantRow.get(offerId, recipient) as GrantRow | undefined;
      return r ? { level: r.level, code: r.code, at: r.at } : null;
    },
    async redeem(code, at) {
      return redeem(code, at);
    },
    async eraseRecipient(recipient) {
      return erase(recipient);
    },
  };
}
