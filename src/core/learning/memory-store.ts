import type { Attribution, CountDelta, CountRow, LearningStore, Touch } from "../ports/learning.js";

/** In-memory LearningStore (the default without a database, and core tests); passes the same contract suite as SQLite. */
export class MemoryLearningStore implements LearningStore {
  private readonly rows = new Map<string, CountRow>();
  private readonly touched = new Map<string, Touch>();
  private readonly orders = new Map<string, Attribution>();
  private readonly models = new Map<string, { json: string; at: number }>();

  counts(blockId: string): CountRow[] {
    return [...this.rows.values()].filter((r) => r.blockId === blockId).map((r) => ({ ...r }));
  }

  add(deltas: readonly CountDelta[]): void {
    for (const d of deltas) {
      const k = [d.blockId, d.arm, d.slot, d.currency].join("\u0000");
      const r = this.rows.get(k);
      if (!r) this.rows.set(k, { ...d });
      else {
        r.impressions += d.impressions;
        r.clicks += d.clicks;
        r.orders += d.orders;
        r.revenue += d.revenue;
      }
    }
  }

  touch(touches: readonly Touch[]): void {
    for (const t of touches) {
      const old = this.touched.get(t.key);
      if (!old || t.at >= old.at) this.touched.set(t.key, { ...t });
    }
  }

  touches(keys: readonly string[], since: number): Touch[] {
    const out: Touch[] = [];
    for (const k of keys) {
      const t = this.touched.get(k);
      if (t && t.at >= since) out.push({ ...t });
    }
    return out;
  }

  forgetTouch(key: string, at: number): void {
    if (this.touched.get(key)?.at === at) this.touched.delete(key);
  }

  attribute(a: Attribution): boolean {
    const k = `${a.orderId}\u0000${a.blockId}`;
    if (this.orders.has(k)) return false;
    this.orders.set(k, { ...a });
    this.add([
      {
        blockId: a.blockId,
        arm: a.arm,
        slot: a.slot,
        currency: a.currency,
        impressions: 0,
        clicks: 0,
        orders: 1,
        revenue: a.revenue,
      },
    ]);
    return true;
  }

  attributions(blockId: string, limit: number): Attribution[] {
    return [...this.orders.values()]
      .filter((a) => a.blockId === blockId)
      .sort((x, y) => y.at - x.at || (x.orderId < y.orderId ? -1 : 1))
      .slice(0, limit)
      .map((a) => ({ ...a }));
  }

  eraseKeys(keys: readonly string[]): number {
    let n = 0;
    for (const k of keys) if (this.touched.delete(k)) n++;
    return n;
  }

  deleteBlock(blockId: string): void {
    for (const [k, r] of this.rows) if (r.blockId === blockId) this.rows.delete(k);
    for (const [k, t] of this.touched) if (t.blockId === blockId) this.touched.delete(k);
    for (const [k, a] of this.orders) if (a.blockId === blockId) this.orders.delete(k);
  }

  pruneTouches(before: number): number {
    let n = 0;
    for (const [k, t] of this.touched)
      if (t.at < before) {
        this.touched.delete(k);
        n++;
      }
    return n;
  }

  saveModel(name: string, json: string, at: number): void {
    this.models.set(name, { json, at });
  }

  loadModel(name: string): { json: string; at: number } | null {
    return this.models.get(name) ?? null;
  }
}
