import type Database from "better-sqlite3";
import type { ScoreSource } from "../../core/learning/scores.js";
import type { Attribution, CountDelta, CountRow, LearningStore, Touch } from "../../core/ports/learning.js";
import type { StoredEvent } from "../../core/ports/profiles.js";
import { immediate } from "./write-lock.js";

/**
 * The learning store on the shared SQLite file: a plain synchronous class whose writes are
 * small and batched (one transaction per call), so they can move onto a writer thread as
 * they are. Reads run on the caller's connection: counters once per block per process,
 * touches once per order.
 */
export class SqliteLearningStore implements LearningStore {
  private readonly s;
  private readonly addTx;
  private readonly touchTx;
  private readonly attributeTx;
  private readonly deleteBlockTx;

  constructor(db: Database.Database) {
    this.s = {
      counts: db.prepare(
        "SELECT block_id, arm, slot, currency, impressions, clicks, orders, revenue FROM learn_counts WHERE block_id = ?",
      ),
      bump: db.prepare(
        `INSERT INTO learn_counts (block_id, arm, slot, currency, impressions, clicks, orders, revenue)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (block_id, arm, slot, currency) DO UPDATE SET
           impressions = impressions + excluded.impressions, clicks = clicks + excluded.clicks,
           orders = orders + excluded.orders, revenue = revenue + excluded.revenue`,
      ),
      touch: db.prepare(
        `INSERT INTO learn_touches (key, block_id, arm, slot, url, campaign, at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET block_id = excluded.block_id, arm = excluded.arm,
           slot = excluded.slot, url = excluded.url, campaign = excluded.campaign, at = excluded.at
         WHERE excluded.at >= learn_touches.at`,
      ),
      touchOf: db.prepare(
        "SELECT key, block_id, arm, slot, url, campaign, at FROM learn_touches WHERE key = ? AND at >= ?",
      ),
      forgetTouch: db.prepare("DELETE FROM learn_touches WHERE key = ? AND at = ?"),
      order: db.prepare(
        `INSERT INTO learn_orders (order_id, block_id, arm, slot, product, campaign, flow, step, currency, revenue, click_at, at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      orders: db.prepare(
        `SELECT order_id, block_id, arm, slot, product, campaign, flow, step, currency, revenue, click_at, at
           FROM learn_orders WHERE block_id = ? ORDER BY at DESC, order_id LIMIT ?`,
      ),
      eraseKey: db.prepare("DELETE FROM learn_touches WHERE key = ?"),
      prune: db.prepare("DELETE FROM learn_touches WHERE at < ?"),
      delCounts: db.prepare("DELETE FROM learn_counts WHERE block_id = ?"),
      delTouches: db.prepare("DELETE FROM learn_touches WHERE block_id = ?"),
      delOrders: db.prepare("DELETE FROM learn_orders WHERE block_id = ?"),
      saveModel: db.prepare(
        "INSERT INTO learn_models (name, json, at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET json = excluded.json, at = excluded.at",
      ),
      loadModel: db.prepare("SELECT json, at FROM learn_models WHERE name = ?"),
    };
    this.addTx = immediate(db, (deltas: readonly CountDelta[]) => {
      for (const d of deltas)
        this.s.bump.run(d.blockId, d.arm, d.slot, d.currency, d.impressions, d.clicks, d.orders, d.revenue);
    });
    this.touchTx = immediate(db, (touches: readonly Touch[]) => {
      for (const t of touches) this.s.touch.run(t.key, t.blockId, t.arm, t.slot, t.url, t.campaign, t.at);
    });
    this.attributeTx = immediate(db, (a: Attribution): boolean => {
      const r = this.s.order.run(
        a.orderId,
        a.blockId,
        a.arm,
        a.slot,
        a.product,
        a.campaign,
        a.flow,
        a.step,
        a.currency,
        a.revenue,
        a.clickAt,
        a.at,
      );
      if (r.changes === 0) return false;
      this.s.bump.run(a.blockId, a.arm, a.slot, a.currency, 0, 0, 1, a.revenue);
      return true;
    });
    this.deleteBlockTx = immediate(db, (blockId: string) => {
      this.s.delCounts.run(blockId);
      this.s.delTouches.run(blockId);
      this.s.delOrders.run(blockId);
    });
  }

  counts(blockId: string): CountRow[] {
    return (this.s.counts.all(blockId) as Record<string, unknown>[]).map((r) => ({
      blockId: r.block_id as string,
      arm: r.arm as string,
      slot: r.slot as string,
      currency: r.currency as string,
      impressions: r.impressions as number,
      clicks: r.clicks as number,
      orders: r.orders as number,
      revenue: r.revenue as number,
    }));
  }

  add(deltas: readonly CountDelta[]): void {
    if (deltas.length) this.addTx(deltas);
  }

  touch(touches: readonly Touch[]): void {
    if (touches.length) this.touchTx(touches);
  }

  touches(keys: readonly string[], since: number): Touch[] {
    const out: Touch[] = [];
    for (const k of keys) {
      const r = this.s.touchOf.get(k, since) as Record<string, unknown> | undefined;
      if (r)
        out.push({
          key: r.key as string,
          blockId: r.block_id as string,
          arm: r.arm as string,
          slot: r.slot as string,
          url: r.url as string,
          campaign: r.campaign as string,
          at: r.at as number,
        });
    }
    return out;
  }

  forgetTouch(key: string, at: number): void {
    this.s.forgetTouch.run(key, at);
  }

  attribute(a: Attribution): boolean {
    return this.attributeTx(a);
  }

  attributions(blockId: string, limit: number): Attribution[] {
    return (this.s.orders.all(blockId, limit) as Record<string, unknown>[]).map((r) => ({
      orderId: r.order_id as string,
      blockId: r.block_id as string,
      arm: r.arm as string,
      slot: r.slot as string,
      product: (r.product as string | null) ?? null,
      campaign: r.campaign as string,
      flow: (r.flow as string | null) ?? null,
      step: (r.step as string | null) ?? null,
      currency: r.currency as string,
      revenue: r.revenue as number,
      clickAt: r.click_at as number,
      at: r.at as number,
    }));
  }

  eraseKeys(keys: readonly string[]): number {
    let n = 0;
    for (const k of keys) n += this.s.eraseKey.run(k).changes;
    return n;
  }

  deleteBlock(blockId: string): void {
    this.deleteBlockTx(blockId);
  }

  pruneTouches(before: number): number {
    return this.s.prune.run(before).changes;
  }

  saveModel(name: string, json: string, at: number): void {
    this.s.saveModel.run(name, json, at);
  }

  loadModel(name: string): { json: string; at: number } | null {
    const r = this.s.loadModel.get(name) as { json: string; at: number } | undefined;
    return r ?? null;
  }
}

/**
 * People and their stored events for training the scores: the most recently updated
 * profiles (a bounded sample), read on the caller's connection.
 */
export function sqliteScoreSource(db: Database.Database): ScoreSource {
  const ids = db.prepare("SELECT id FROM profiles ORDER BY updated_at DESC LIMIT ?").pluck();
  const events = db.prepare(
    "SELECT seq, profile_id, message_id, type, event, at, received_at, body FROM profile_events WHERE profile_id = ? ORDER BY seq",
  );
  return {
    async profileIds(limit) {
      return ids.all(limit) as string[];
    },
    async events(profileId) {
      return (events.all(profileId) as Record<string, unknown>[]).map(
        (r): StoredEvent => ({
          seq: r.seq as number,
          profileId: r.profile_id as string,
          messageId: r.message_id as string,
          type: r.type as string,
          event: (r.event as string | null) ?? null,
          at: r.at as number,
          receivedAt: r.received_at as number,
          body: r.body as string,
        }),
      );
    },
  };
}
