import type { Clock, Logger, RandomBytes } from "../ports/index.js";
import type { Attribution, CountDelta, CountRow, LearningStore, Touch } from "../ports/learning.js";
import { recipientKey } from "../profiles/identity.js";
import type { SplitSettings } from "../rules/variants.js";
import { createGroupCommit, type GroupCommit } from "../util/group-commit.js";
import { Lru } from "../util/lru.js";
import { type ArmCounts, byWeight, chooseArm, seededUniform, type Uniform } from "./thompson.js";

/** One arm's totals as the bandit reads them (revenue kept per currency). */
interface Tally {
  impressions: number;
  clicks: number;
  orders: number;
  revenue: Map<string, number>;
}

export interface LearnerOptions {
  store: LearningStore;
  clock: Clock;
  random: RandomBytes;
  logger: Logger;
  /** Counter increments are written together every this many ms. */
  windowMs?: number;
  /** A person counts as one impression per arm within this window (Bernoulli rewards). */
  impressionWindowMs?: number;
  /** Seeds the sampler (tests); default: from `random`. */
  seed?: number;
}

export interface SplitMember {
  name: string;
  weight: number;
}

const HOUR = 3_600_000;
const k2 = (a: string, b: string) => `${a}\u0000${b}`;

/**
 * The learning half's in-process state: each block's arm totals (read from the store once
 * per block per process, then incremented in memory), per-person sticky assignments, and
 * counter increments group-committed to the store. The open path (pick, impression) is
 * synchronous and never reads the store: a block whose totals are still loading is shown
 * its fixed weights for those few opens.
 */
export class Learner {
  private readonly tallies = new Map<string, Map<string, Tally> | Promise<void>>();
  // Per-process memories, bounded: a restart forgets them, which only means a person may be
  // re-drawn (assignments) or counted once more (impressions).
  private readonly assigned = new Lru<string, { arm: string; until: number }>(200_000);
  private readonly seen = new Lru<string, { arm: string; until: number; clicked: Set<string> }>(200_000);
  private readonly clicks = new Lru<string, { arm: string; at: number }>(50_000);
  private readonly deltas: GroupCommit<CountDelta>;
  private readonly touches: GroupCommit<Touch>;
  /** Touches not yet written, by key (an order right after its click must find it). */
  private readonly unwrittenTouches = new Map<string, Touch>();
  private readonly u: Uniform;
  private readonly impressionWindowMs: number;

  constructor(private readonly o: LearnerOptions) {
    const b = o.random(4);
    this.u = seededUniform(o.seed ?? (b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!);
    this.impressionWindowMs = o.impressionWindowMs ?? 24 * HOUR;
    this.deltas = createGroupCommit<CountDelta>({
      write: async (batch) => o.store.add(aggregate(batch)),
      windowMs: o.windowMs ?? 1000,
      maxBatch: 20_000,
      maxBuffered: 500_000,
      logger: o.logger,
      what: "learning counter",
    });
    this.touches = createGroupCommit<Touch>({
      write: async (batch) => o.store.touch(batch),
      windowMs: o.windowMs ?? 1000,
      maxBatch: 5_000,
      maxBuffered: 100_000,
      logger: o.logger,
      what: "learning touch",
      onWritten: (batch) => {
        for (const t of batch)
          if (this.unwrittenTouches.get(t.key) === t) this.unwrittenTouches.delete(t.key);
      },
    });
  }

  /** The block's arm totals, or null while they load (the load starts on first call). */
  private talliesOf(blockId: string): Map<string, Tally> | null {
    const t = this.tallies.get(blockId);
    if (t instanceof Map) return t;
    if (!t) {
      const loading = Promise.resolve()
        .then(() => this.o.store.counts(blockId))
        .then((rows) => {
          const m = new Map<string, Tally>();
          for (const r of rows) addTo(m, r);
          // Increments counted while the read ran reach the store, not these totals: a few
          // opens' worth at most, and the next process start reads them.
          this.tallies.set(blockId, m);
        })
        .catch((err) => {
          this.tallies.delete(blockId);
          this.o.logger.error({ err, block: blockId }, "learning counters read failed");
        });
      this.tallies.set(blockId, loading);
    }
    return null;
  }

  /**
   * The member of an optimised split one open sees (an index into `members`): the person's
   * arm while their assignment lasts, else a Thompson draw (fixed weights until every arm
   * has its minimum sample, or while the totals load, or when stopped); a pin wins outright.
   */
  pick(
    blockId: string,
    group: string,
    members: readonly SplitMember[],
    settings: SplitSettings,
    recipient: string | null,
    now: number,
  ): number {
    if (settings.pin !== null) {
      const i = members.findIndex((m) => m.name === settings.pin);
      if (i >= 0) return i;
    }
    const key = recipient ? `${blockId}\u0000${group}\u0000${recipient}` : null;
    if (key) {
      const a = this.assigned.get(key);
      if (a && a.until > now) {
        const i = members.findIndex((m) => m.name === a.arm);
        if (i >= 0) return i;
      }
    }
    const weights = members.map((m) => m.weight);
    const tallies = settings.stopped ? null : this.talliesOf(blockId);
    let i: number;
    if (!tallies) i = byWeight(weights, this.u());
    else {
      const arms = members.map((m) => armCounts(m.name, tallies.get(m.name), settings.currency));
      i = chooseArm(arms, weights, settings, this.u);
    }
    if (key && settings.stickyHours > 0)
      this.assigned.set(key, { arm: members[i]!.name, until: now + settings.stickyHours * HOUR });
    return i;
  }

  /** A human open shown `arm` (once per person and arm within the impression window). */
  impression(blockId: string, arm: string, recipient: string | null, now: number): void {
    if (recipient) {
      const k = k2(blockId, recipient);
      const s = this.seen.get(k);
      if (s && s.arm === arm && s.until > now) return;
      this.seen.set(k, { arm, until: now + this.impressionWindowMs, clicked: new Set() });
    }
    this.count({ blockId, arm, slot: "", currency: "", impressions: 1, clicks: 0, orders: 0, revenue: 0 });
  }

  /**
   * A human click on an adaptive link (once per person, arm and slot within the impression
   * window), and the person's touch for attribution.
   */
  click(
    blockId: string,
    arm: string,
    slot: string,
    recipient: string | null,
    url: string,
    campaign: string,
    now: number,
  ): void {
    if (recipient) {
      const s = this.seen.get(k2(blockId, recipient));
      if (s && s.arm === arm && s.until > now) {
        if (s.clicked.has(slot)) {
          this.touch(blockId, arm, slot, recipient, url, campaign, now);
          return;
        }
        s.clicked.add(slot);
      }
      this.clicks.set(k2(`${blockId}/${slot}`, recipient), { arm, at: now });
      this.touch(blockId, arm, slot, recipient, url, campaign, now);
    }
    this.count({ blockId, arm, slot, currency: "", impressions: 0, clicks: 1, orders: 0, revenue: 0 });
  }

  /**
   * A click counted as a person's that its burst showed to be a link scanner's
   * (TrackEvent.corrects): its count and its touch are taken back.
   */
  unclick(linkId: string, recipient: string, at: number): void {
    const k = k2(linkId, recipient);
    const c = this.clicks.get(k);
    if (!c || c.at !== at) return;
    this.clicks.delete(k);
    const slash = linkId.lastIndexOf("/");
    const blockId = linkId.slice(0, slash);
    const slot = linkId.slice(slash + 1);
    this.count({
      blockId,
      arm: c.arm,
      slot,
      currency: "",
      impressions: 0,
      clicks: -1,
      orders: 0,
      revenue: 0,
    });
    this.seen.get(k2(blockId, recipient))?.clicked.delete(slot);
    const key = recipientKey(recipient);
    const t = this.unwrittenTouches.get(key);
    if (t && t.at === at) {
      this.unwrittenTouches.delete(key);
      this.touches.discard((x) => x === t);
    } else void Promise.resolve(this.o.store.forgetTouch(key, at)).catch(() => {});
  }

  private touch(
    blockId: string,
    arm: string,
    slot: string,
    recipient: string,
    url: string,
    campaign: string,
    at: number,
  ) {
    const t: Touch = { key: recipientKey(recipient), blockId, arm, slot, url, campaign, at };
    this.unwrittenTouches.set(t.key, t);
    this.touches.add(t);
  }

  /** The newest touch of any of these keys in [since, until]. */
  async lastTouch(keys: readonly string[], since: number, until: number): Promise<Touch | null> {
    let best: Touch | null = null;
    const consider = (t: Touch | undefined) => {
      if (t && t.at >= since && t.at <= until && (!best || t.at > best.at)) best = t;
    };
    for (const t of await this.o.store.touches(keys, since)) consider(t);
    for (const k of keys) consider(this.unwrittenTouches.get(k));
    return best;
  }

  /** Records a credited order (once per order and block) and adds it to the arm's totals. */
  async credit(a: Attribution): Promise<boolean> {
    const ok = await this.o.store.attribute(a);
    if (ok) {
      const m = this.tallies.get(a.blockId);
      if (m instanceof Map) addTo(m, { ...a, impressions: 0, clicks: 0, orders: 1, revenue: a.revenue });
    }
    return ok;
  }

  private count(d: CountDelta): void {
    const m = this.tallies.get(d.blockId);
    if (m instanceof Map) addTo(m, d);
    else this.talliesOf(d.blockId);
    this.deltas.add(d);
  }

  /**
   * Runs work (an order's attribution) after the work queued before it; stats wait for it,
   * so an order acknowledged before a stats read is in them.
   */
  serial(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((err) => this.o.logger.error({ err }, "learning work failed"));
  }
  private queue: Promise<void> = Promise.resolve();

  /** Every counter row of a block, everything counted and credited so far written first. */
  async counts(blockId: string): Promise<CountRow[]> {
    await this.queue;
    await this.flush();
    return this.o.store.counts(blockId);
  }

  async attributions(blockId: string, limit: number): Promise<Attribution[]> {
    await this.queue;
    return this.o.store.attributions(blockId, limit);
  }

  /** A deleted block: its totals forgotten here and in the store. */
  async deleteBlock(blockId: string): Promise<void> {
    await this.deltas.flush();
    await this.touches.flush();
    this.tallies.delete(blockId);
    await this.o.store.deleteBlock(blockId);
  }

  /** Erasure: the person's touches (after what is buffered is written). */
  async eraseRecipient(recipient: string): Promise<number> {
    await this.touches.flush();
    return this.o.store.eraseKeys([recipientKey(recipient)]);
  }

  async flush(): Promise<void> {
    await Promise.all([this.deltas.flush(), this.touches.flush()]);
  }

  async close(): Promise<void> {
    await this.queue;
    await Promise.all([this.deltas.close(), this.touches.close()]);
  }

  get pending(): number {
    return this.deltas.pending + this.touches.pending;
  }
}

function addTo(m: Map<string, Tally>, d: CountDelta): void {
  let t = m.get(d.arm);
  if (!t) {
    t = { impressions: 0, clicks: 0, orders: 0, revenue: new Map() };
    m.set(d.arm, t);
  }
  t.impressions += d.impressions;
  t.clicks += d.clicks;
  t.orders += d.orders;
  if (d.currency && d.revenue) t.revenue.set(d.currency, (t.revenue.get(d.currency) ?? 0) + d.revenue);
}

/**
 * An arm's counts for the bandit. Revenue: the split's currency, else the arm's largest
 * (revenue is never added across currencies; an operator with several sets `currency`).
 */
export function armCounts(name: string, t: Tally | undefined, currency: string | undefined): ArmCounts {
  if (!t) return { name, impressions: 0, clicks: 0, orders: 0, revenue: 0 };
  let revenue = 0;
  if (currency) revenue = t.revenue.get(currency) ?? 0;
  else for (const v of t.revenue.values()) revenue = Math.max(revenue, v);
  return { name, impressions: t.impressions, clicks: t.clicks, orders: t.orders, revenue };
}

/** Sums a batch of increments by key: one row write per key per batch. */
function aggregate(batch: readonly CountDelta[]): CountDelta[] {
  const m = new Map<string, CountDelta>();
  for (const d of batch) {
    const k = `${d.blockId}\u0000${d.arm}\u0000${d.slot}\u0000${d.currency}`;
    const a = m.get(k);
    if (!a) m.set(k, { ...d });
    else {
      a.impressions += d.impressions;
      a.clicks += d.clicks;
      a.orders += d.orders;
      a.revenue += d.revenue;
    }
  }
  return [...m.values()];
}
