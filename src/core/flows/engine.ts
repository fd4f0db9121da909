import { Counter, type Metrics } from "../metrics.js";
import type {
  FlowCounter,
  FlowRecord,
  FlowStatus,
  FlowStore,
  FlowWrite,
  RunEnd,
  RunRecord,
  StepEntry,
} from "../ports/flows.js";
import type { Clock, Logger, RandomBytes } from "../ports/index.js";
import type { Intervals } from "../ports/intervals.js";
import type { Messenger, SendOutcome } from "../ports/messaging.js";
import type { EmailEvent, Profile } from "../ports/profiles.js";
import type { Signal, Signals } from "../ports/signals.js";
import { stableBucket } from "../rules/bucket.js";
import type { Condition } from "../rules/conditions.js";
import { compileCondition, type Facts, profileZone, type Test } from "../rules/evaluate.js";
import type { IngestEvent } from "../segment/event.js";
import { type AckedBatches, createAckedBatches } from "../util/acked-batches.js";
import { base64url } from "../util/encoding.js";
import { wallClock } from "../util/zone.js";
import { durationMs, type FlowDefinition, type Step, type Trigger } from "./definition.js";
import { instantOf, nextLocalTime } from "./local-wait.js";

/** What the engine needs of the profiles: find a person by any key; set traits for them. */
export interface FlowProfiles {
  find(id: string, opts?: { history?: boolean }): Promise<Profile | null>;
  ingest?(events: IngestEvent[]): Promise<unknown>;
  /** Profile ids after `after` in id order (the sweep for inactivity and date triggers); absent: no sweep. */
  profileIds?(after: string | null, limit: number): Promise<string[]>;
}

export interface FlowEngineDeps {
  store: FlowStore;
  profiles: FlowProfiles;
  signals: Signals;
  clock: Clock;
  random: RandomBytes;
  logger: Logger;
  metrics?: Metrics;
  /** Absent (no sending configured): send steps record `no_messenger` and move on. */
  messenger?: Messenger;
  /** How long a claim on a run lasts (default LEASE_MS). */
  leaseMs?: number;
  /** A sweep over every profile (inactivity and date triggers) starts at most this often (default SWEEP_MS). */
  sweepMs?: number;
}

/** A claim on a due run lasts this long; one not released (a crash) lapses, then it fires again. */
export const LEASE_MS = 30_000;
/** Due runs taken per scheduler pass. */
const CLAIM_BATCH = 5_000;
/** Steps one advance may take before yielding (definitions have no wait-less loops; a bound anyway). */
const MAX_STEPS_PER_ADVANCE = 200;
/** People whose work may be in progress at once. */
const MAX_CONCURRENT = 2_048;
const WATCHED_EVENTS: Readonly<Record<string, string>> = {
  "Product Viewed": "viewed",
  "Product Added": "carted",
  "Product Added to Wishlist": "wishlisted",
};
/** Sweeps over the profiles start at most this often; each tick takes one page of SWEEP_PAGE. */
export const SWEEP_MS = 5 * 60_000;
const SWEEP_PAGE = 500;
/** A date occurrence is still taken this long after its time (a sweep late or a restart). */
const DATE_GRACE_MS = 86_400_000;
const CONVERSION_EVENT = "Order Completed";
const DAY = 86_400_000;

interface Compiled {
  record: FlowRecord;
  def: FlowDefinition;
  steps: Map<string, Step>;
  where: Map<string, Test>;
}

type RunEnded = { end: RunEnd };
type Outcome = { next: string } | { wait: number; waitingFor?: string } | RunEnded;

/**
 * Runs flows: listens to the signal bus, starts runs on triggers, advances them step by
 * step, and fires their timers from the store. All work for one person is done in order
 * (one queue per person), so a trigger, a goal and a timer never race on the same runs.
 */
export class FlowEngine {
  readonly store: FlowStore;
  private readonly lease: number;
  private readonly writes: AckedBatches<FlowWrite>;
  private current = new Map<string, Compiled>();
  private versions = new Map<string, Compiled>();
  private queues = new Map<string, Promise<void>>();
  private active = 0;
  private waiters: (() => void)[] = [];
  private stopSignals: (() => void) | null = null;
  private ticking: Promise<void> | null = null;
  private closed = false;
  private loaded: Promise<void> | null = null;
  private conditionState = new Map<string, boolean>();
  private sweepCursor: string | null = null;
  private sweepStartedAt = Number.NEGATIVE_INFINITY;
  readonly metrics = {
    steps: new Counter("opentime_flow_steps_total", "Flow steps taken, by outcome"),
    runs: new Counter("opentime_flow_runs_total", "Flow runs started and ended, by event"),
  };

  constructor(private readonly d: FlowEngineDeps) {
    this.store = d.store;
    this.lease = d.leaseMs ?? LEASE_MS;
    this.writes = createAckedBatches((batch: FlowWrite[]) => Promise.resolve(d.store.write(batch)), {
      windowMs: 2,
    });
    d.metrics?.external(() => this.metrics.steps.render() + this.metrics.runs.render());
    d.metrics?.gauge(
      "opentime_flow_work_in_progress",
      "People whose flow work is in progress",
      () => this.active,
    );
  }

  /** Loads the flows, listens to signals and fires due timers (every `tickMs`, default 250 ms). */
  start(intervals?: Intervals, tickMs = 250): void {
    void this.load();
    this.stopSignals = this.d.signals.on((s) => this.onSignal(s));
    intervals?.every(tickMs, () => this.tick());
  }

  load(): Promise<void> {
    this.loaded ??= (async () => {
      for (const f of await this.d.store.flows()) {
        // Earlier versions too: their runs may wait for events the current one does not name.
        for (let v = 1; v < f.version; v++) {
          const old = await this.d.store.flow(f.id, v);
          if (old) this.versions.set(`${f.id}@${v}`, this.compile(old));
        }
        this.install(f);
      }
    })();
    return this.loaded;
  }

  /** A new or updated flow (or a status change): what triggers and steps use from now. */
  install(f: FlowRecord): void {
    const c = this.compile(f);
    this.current.set(f.id, c);
    this.versions.set(`${f.id}@${f.version}`, c);
    this.relevance = this.relevant();
  }

  /**
   * Which signals can matter to some flow, so the rest cost nothing (no queue, no read):
   * most events name nothing a trigger, goal or wait names, and most clicks start nothing.
   */
  private relevance = { events: new Set<string>(), everyEvent: false, tracked: false, email: false };

  private relevant() {
    const r = {
      events: new Set<string>([CONVERSION_EVENT]),
      everyEvent: false,
      tracked: false,
      email: false,
    };
    for (const c of this.versions.values()) {
      const live = c.record.status !== "archived";
      if (!live) continue;
      const t = c.def.trigger;
      if (t.type === "event") r.events.add(t.name);
      if (t.type === "condition" || c.def.goal?.when) r.everyEvent = true;
      if (t.type === "open" || t.type === "click") r.tracked = true;
      if (t.type === "email") r.email = true;
      if (t.type === "catalog") for (const name of Object.keys(WATCHED_EVENTS)) r.events.add(name);
      if (c.def.goal?.event) r.events.add(c.def.goal.event);
      for (const s of c.def.steps)
        if (s.type === "wait_for") {
          if (s.event === "$open" || s.event === "$click") r.tracked = true;
          else r.events.add(s.event);
        }
      if (c.def.goal?.event === "$open" || c.def.goal?.event === "$click") r.tracked = true;
    }
    return r;
  }

  flow(id: string): FlowRecord | null {
    return this.current.get(id)?.record ?? null;
  }

  /** Stops listening and waits for work in progress (the store stays open). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopSignals?.();
    await this.ticking;
    await this.idle();
  }

  /** Resolves when no person's work is queued or running. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  // --- definitions ------------------------------------------------------------------------

  private compile(record: FlowRecord): Compiled {
    const def = record.definition;
    const where = new Map<string, Test>();
    const add = (key: string, c: Condition | undefined) => {
      if (c) where.set(key, compileCondition(c));
    };
    const t = def.trigger;
    if (t.type === "event") add("trigger", t.where);
    if (t.type === "condition") add("trigger", t.when);
    add("goal.where", def.goal?.where);
    add("goal.when", def.goal?.when);
    for (const s of def.steps) {
      if (s.type === "wait_for") add(s.id, s.where);
      if (s.type === "branch")
        s.branches.forEach((b, i) => {
          add(`${s.id}#${i}`, b.when);
        });
    }
    return { record, def, steps: new Map(def.steps.map((s) => [s.id, s])), where };
  }

  private async compiledFor(run: RunRecord): Promise<Compiled | null> {
    const key = `${run.flowId}@${run.version}`;
    const cur = this.current.get(run.flowId);
    if (cur && cur.record.version === run.version) return cur;
    let c = this.versions.get(key);
    if (!c) {
      const rec = await this.d.store.flow(run.flowId, run.version);
      if (!rec) return null;
      c = this.compile(rec);
      this.versions.set(key, c);
    }
    return c;
  }

  // --- per-person queues ------------------------------------------------------------------

  /** Runs `fn` after every earlier task of this person; at most MAX_CONCURRENT people at once. */
  private enqueue(person: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.queues.get(person) ?? Promise.resolve();
    const next = prev
      .then(async () => {
        await this.slot();
        try {
          await fn();
        } finally {
          this.release();
        }
      })
      .catch((err) => this.d.logger.error({ err }, "flow work failed"));
    this.queues.set(person, next);
    void next.then(() => {
      if (this.queues.get(person) === next) this.queues.delete(person);
    });
    return next;
  }

  private slot(): Promise<void> {
    if (this.active < MAX_CONCURRENT) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((res) => this.waiters.push(() => res()));
  }

  private release(): void {
    const w = this.waiters.shift();
    if (w) w();
    else this.active--;
  }

  // --- the scheduler ------------------------------------------------------------------------

  /** Claims due timers and advances their runs; returns once they are all handed on. */
  tick(): Promise<void> {
    this.ticking ??= this.fire().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async fire(): Promise<void> {
    await this.load();
    // Beside the timers, not before them: a page of the sweep must not delay a due step.
    const sweeping = this.sweep().catch((err) => this.d.logger.error({ err }, "flow sweep failed"));
    for (;;) {
      if (this.closed) break;
      const now = this.d.clock.now();
      const due = await this.d.store.claimDue(now, this.lease, CLAIM_BATCH);
      const work = due.map((claimed) => this.enqueue(claimed.profileId, () => this.wake(claimed)));
      await Promise.all(work);
      if (due.length < CLAIM_BATCH) break;
    }
    await sweeping;
  }

  // --- the sweep: inactivity and date triggers ------------------------------------------------

  /**
   * One page of profiles per tick, a pass at most every sweepMs: the work per tick is bounded,
   * and a pass that outlasts sweepMs just starts the next one late.
   */
  private async sweep(): Promise<void> {
    const list = this.d.profiles.profileIds?.bind(this.d.profiles);
    if (!list || this.closed) return;
    const flows = [...this.current.values()].filter(
      (c) =>
        c.record.status === "active" &&
        (c.def.trigger.type === "inactivity" || c.def.trigger.type === "date"),
    );
    if (flows.length === 0) return;
    const now = this.d.clock.now();
    if (this.sweepCursor === null) {
      if (now - this.sweepStartedAt < (this.d.sweepMs ?? SWEEP_MS)) return;
      this.sweepStartedAt = now;
    }
    const ids = await list(this.sweepCursor, SWEEP_PAGE);
    this.sweepCursor = ids.length < SWEEP_PAGE ? null : ids[ids.length - 1]!;
    await Promise.all(ids.map((pid) => this.enqueue(pid, () => this.sweepOne(pid, flows))));
  }

  private async sweepOne(pid: string, flows: Compiled[]): Promise<void> {
    const p = await this.d.profiles.find(pid, { history: false });
    if (!p) return;
    const now = this.d.clock.now();
    for (const c of flows) {
      const t = c.def.trigger;
      // The moment this person became due: once a run started after it, this spell or occurrence is taken.
      let since: number | null = null;
      let trigger: Record<string, unknown> = {};
      if (t.type === "inactivity") {
        const last = lastActivity(p);
        if (now - last >= t.days * DAY) {
          since = last;
          trigger = { type: "inactivity", days: t.days, lastActiveAt: last, at: now };
        }
      } else if (t.type === "date") {
        const occ = dateOccurrence(p, t, now);
        if (occ !== null && now - occ < DATE_GRACE_MS) {
          since = occ;
          trigger = { type: "date", trait: t.trait, date: p.traits[t.trait], at: occ };
        }
      }
      if (since === null) continue;
      const last = await this.d.store.lastStartOf(c.record.id, pid);
      if (last !== null && last >= since) continue;
      await this.startRun(c, pid, trigger, now);
    }
  }

  /** A claimed run whose timer is due: a wait ended, a wait_for timed out, a send deferred or interrupted. */
  private async wake(claimed: RunRecord): Promise<void> {
    const run = await this.d.store.run(claimed.id);
    // Moved on meanwhile (an event it waited for, a goal): the claim is stale.
    if (
      !run ||
      run.status !== "active" ||
      run.stepId !== claimed.stepId ||
      run.updatedAt !== claimed.updatedAt
    )
      return;
    const c = await this.compiledFor(run);
    if (!c) return this.finish(run, null, "failed", "flow version missing");
    if (c.record.status === "paused" || this.current.get(run.flowId)?.record.status === "paused") {
      run.wakeAt = this.d.clock.now() + 60_000;
      run.updatedAt = this.d.clock.now();
      return this.persist({ update: run });
    }
    const step = c.steps.get(run.stepId);
    if (!step) return this.finish(run, c, "failed", `no step ${run.stepId}`);
    const now = this.d.clock.now();
    const ctx = this.context(run, c, now);
    ctx.claimedAt = run.stepId;
    // Only a wait that was entered ends here; a run written mid-step (a crash) redoes its step.
    let next: string | null = null;
    if (run.data.phase === "waiting")
      switch (step.type) {
        case "wait":
        case "wait_until":
        case "wait_best_hour":
          next = step.next;
          break;
        case "wait_for":
          ctx.log(step.id, "timed_out");
          next = step.timeoutNext;
          break;
      }
    if (next !== null) {
      run.waitingFor = null;
      ctx.claimedAt = null;
      this.enter(run, next);
    }
    await this.advance(run, c, ctx);
  }

  // --- signals ------------------------------------------------------------------------------

  private onSignal(s: Signal): void {
    if (this.closed) return;
    const r = this.relevance;
    switch (s.type) {
      case "event":
        if (!r.everyEvent && !r.events.has(s.name)) return;
        void this.enqueue(s.profileId, () => this.onEvent(s.profileId, s.name, s.properties, s.at));
        return;
      case "open":
      case "click":
        if (!r.tracked) return;
        void this.fromRecipient(s.recipient, (pid) => this.onTracked(pid, s));
        return;
      case "email":
        if (!r.email) return;
        void this.fromRecipient(s.event.email, (pid) => this.onEmail(pid, s.event));
        return;
      case "catalog":
        void this.onCatalog(s).catch((err) => this.d.logger.error({ err }, "catalog trigger failed"));
        return;
    }
  }

  private async fromRecipient(key: string, fn: (profileId: string) => Promise<void>): Promise<void> {
    if (!this.anyActive()) return;
    try {
      const p = await this.d.profiles.find(key, { history: false });
      if (p) await this.enqueue(p.id, () => fn(p.id));
    } catch (err) {
      this.d.logger.error({ err }, "finding a person for a flow signal failed");
    }
  }

  private anyActive(): boolean {
    for (const c of this.current.values()) if (c.record.status === "active") return true;
    return false;
  }

  private async onEvent(pid: string, name: string, props: Readonly<Record<string, unknown>>, at: number) {
    await this.load();
    const now = this.d.clock.now();
    const watched = WATCHED_EVENTS[name];
    const productId = props.product_id ?? props.productId ?? props.sku;
    if (watched && typeof productId === "string" && this.hasTrigger("catalog"))
      await this.persist({ watch: { productId, profileId: pid, kind: watched, at } });
    if (name === CONVERSION_EVENT) await this.convert(pid, props, now);
    await this.progress(pid, name, props, now);
    for (const c of this.current.values()) {
      const t = c.def.trigger;
      if (c.record.status !== "active") continue;
      if (t.type === "event" && t.name === name) {
        const test = c.where.get("trigger");
        if (test && !(await test(this.facts(pid, props, c.record.id, now)))) continue;
        await this.startRun(c, pid, { type: "event", name, properties: props, at }, now);
      } else if (t.type === "condition") {
        // Starts when the condition becomes true (false, or unknown, before this event).
        const key = `${c.record.id}\u0000${pid}`;
        const holds = await c.where.get("trigger")!(this.facts(pid, props, c.record.id, now));
        const before = this.conditionState.get(key) ?? false;
        this.conditionState.delete(key);
        if (this.conditionState.size > 100_000) this.conditionState.clear();
        this.conditionState.set(key, holds);
        if (holds && !before) await this.startRun(c, pid, { type: "condition", at }, now);
      }
    }
  }

  private hasTrigger(type: Trigger["type"]): boolean {
    for (const c of this.current.values())
      if (c.def.trigger.type === type && c.record.status === "active") return true;
    return false;
  }

  /** Goals met and waits answered by an event of the person (`$open`/`$click` for their own emails). */
  private async progress(pid: string, name: string, props: Readonly<Record<string, unknown>>, now: number) {
    const runs = await this.d.store.activeRunsOf(pid);
    for (const run of runs) {
      const c = await this.compiledFor(run);
      if (!c) continue;
      const goal = c.def.goal;
      if (goal?.event === name) {
        const test = c.where.get("goal.where");
        if (!test || (await test(this.facts(pid, props, c.record.id, now)))) {
          await this.finish(run, c, "goal", name);
          continue;
        }
      }
      if (goal?.when && (await c.where.get("goal.when")!(this.facts(pid, props, c.record.id, now)))) {
        await this.finish(run, c, "goal", "condition");
        continue;
      }
      const step = c.steps.get(run.stepId);
      if (step?.type !== "wait_for" || run.waitingFor !== name) continue;
      if (name === "$open" || name === "$click") {
        const campaign = props.campaign;
        if (typeof campaign !== "string" || !campaign.startsWith(`${run.flowId}-`)) continue;
      }
      const test = c.where.get(step.id);
      if (test && !(await test(this.facts(pid, props, c.record.id, now)))) continue;
      const ctx = this.context(run, c, now);
      ctx.log(step.id, "answered", name);
      run.waitingFor = null;
      run.data = { ...run.data, answer: { name, properties: props } };
      this.enter(run, step.next);
      await this.advance(run, c, ctx);
    }
  }

  private async onTracked(pid: string, s: Extract<Signal, { type: "open" | "click" }>) {
    const now = this.d.clock.now();
    const human = s.class === "human";
    const props = { campaign: s.campaign, linkId: s.linkId, class: s.class };
    if (human) await this.progress(pid, `$${s.type}`, props, now);
    for (const c of this.current.values()) {
      const t = c.def.trigger;
      if (c.record.status !== "active" || t.type !== s.type) continue;
      if (!human && !t.machines) continue;
      if (t.campaign !== undefined && t.campaign !== s.campaign) continue;
      if (t.linkId !== undefined && t.linkId !== s.linkId) continue;
      await this.startRun(c, pid, { type: s.type, properties: props, at: s.at }, now);
    }
  }

  private async onEmail(pid: string, e: EmailEvent) {
    const now = this.d.clock.now();
    for (const c of this.current.values()) {
      const t = c.def.trigger;
      if (c.record.status !== "active" || t.type !== "email") continue;
      if (!(t.events as readonly string[]).includes(e.type)) continue;
      const props = { provider: e.provider, type: e.type, campaign: e.campaign ?? null, url: e.url ?? null };
      await this.startRun(c, pid, { type: "email", name: e.type, properties: props, at: e.at }, now);
    }
  }

  private async onCatalog(s: Extract<Signal, { type: "catalog" }>) {
    await this.load();
    for (const c of this.current.values()) {
      const t = c.def.trigger;
      if (c.record.status !== "active" || t.type !== "catalog" || t.change !== s.change) continue;
      if (s.change === "price_drop") {
        const drop = s.before.price - s.after.price;
        if (drop <= 0) continue;
        if (t.minAmount !== undefined && drop < t.minAmount) continue;
        if (t.minPercent !== undefined && (drop / s.before.price) * 100 < t.minPercent) continue;
      }
      const now = this.d.clock.now();
      const people = await this.d.store.watchers(s.productId, t.of, now - t.withinDays * DAY, 10_000);
      const product = { id: s.productId, ...s.after, before: s.before };
      for (const pid of people)
        void this.enqueue(pid, async () => {
          await this.startRun(
            c,
            pid,
            { type: "catalog", name: s.change, properties: product, at: s.at },
            now,
          );
        });
    }
  }

  /** An Order Completed within the window after a flow's send (or its click) counts for that send. */
  private async convert(pid: string, props: Readonly<Record<string, unknown>>, now: number) {
    const last = await this.d.store.lastSendOf(pid, now - 60 * DAY);
    if (!last) return;
    const c = this.current.get(last.flowId);
    if (!c || now - last.at > c.def.conversionHours * 3_600_000) return;
    const raw = props.revenue ?? props.total ?? props.value;
    const revenue = typeof raw === "number" && Number.isFinite(raw) ? raw : 0;
    await this.persist({
      counters: [
        { flowId: last.flowId, stepId: "", name: "conversions", n: 1 },
        { flowId: last.flowId, stepId: last.stepId, name: "conversions", n: 1 },
        { flowId: last.flowId, stepId: "", name: "revenue", n: revenue },
        { flowId: last.flowId, stepId: last.stepId, name: "revenue", n: revenue },
      ],
    });
  }

  // --- runs -----------------------------------------------------------------------------------

  /** Starts a run if the flow's re-entry rule and concurrency limit allow; then advances it. */
  async startRun(
    c: Compiled,
    pid: string,
    trigger: Record<string, unknown>,
    now: number,
  ): Promise<string | null> {
    if (c.record.status !== "active") return null;
    const def = c.def;
    if (def.reentry !== "always") {
      const last = await this.d.store.lastStartOf(c.record.id, pid);
      if (last !== null && (def.reentry === "once" || now - last < def.reentry.everyDays * DAY)) return null;
    }
    const mine = (await this.d.store.activeRunsOf(pid)).filter((r) => r.flowId === c.record.id);
    if (mine.length >= def.maxConcurrent) return null;
    const run: RunRecord = {
      id: `run_${base64url(this.d.random(12))}`,
      flowId: c.record.id,
      version: c.record.version,
      profileId: pid,
      status: "active",
      stepId: def.start,
      // Due again once the lease lapses: if this process dies mid-advance, the run resumes.
      wakeAt: now + this.lease,
      waitingFor: null,
      data: { trigger, visits: { [def.start]: 1 }, sends: [], phase: "busy" },
      startedAt: now,
      updatedAt: now,
    };
    await this.persist({
      insert: run,
      counters: [{ flowId: run.flowId, stepId: "", name: "entered", n: 1 }],
    });
    this.metrics.runs.inc({ event: "entered" });
    const ctx = this.context(run, c, now);
    ctx.log(def.start, "entered");
    await this.advance(run, c, ctx);
    return run.id;
  }

  private enter(run: RunRecord, stepId: string): void {
    const visits = { ...((run.data.visits as Record<string, number> | undefined) ?? {}) };
    visits[stepId] = (visits[stepId] ?? 0) + 1;
    run.data = { ...run.data, visits, phase: "busy" };
    run.stepId = stepId;
  }

  private context(run: RunRecord, c: Compiled, now: number) {
    const entries: StepEntry[] = [];
    const counters: FlowCounter[] = [];
    return {
      now,
      entries,
      counters,
      send: undefined as FlowWrite["send"],
      /** The step the run was claimed at (its timer), until it moves on. */
      claimedAt: null as string | null,
      log: (stepId: string, outcome: string, detail?: string) => {
        entries.push({
          runId: run.id,
          stepId,
          at: now,
          outcome,
          ...(detail !== undefined ? { detail } : {}),
        });
        counters.push({ flowId: c.record.id, stepId, name: outcome, n: 1 });
        this.metrics.steps.inc({ outcome });
      },
    };
  }

  /** Group commit: every run's writes of this moment share one transaction (one fsync). */
  private persist(w: FlowWrite): Promise<void> {
    return this.writes.add(w);
  }

  /** The run as it is now, with the steps and counters logged since the last write. */
  private async flush(ctx: ReturnType<FlowEngine["context"]>, run: RunRecord): Promise<void> {
    const send = ctx.send;
    ctx.send = undefined;
    await this.persist({
      steps: ctx.entries.splice(0),
      counters: ctx.counters.splice(0),
      ...(send ? { send } : {}),
      update: { ...run, data: { ...run.data } },
    });
  }

  /** Takes steps until the run waits or ends; the run is written before each send and at each wait. */
  private async advance(run: RunRecord, c: Compiled, ctx: ReturnType<FlowEngine["context"]>): Promise<void> {
    const facts = this.facts(
      run.profileId,
      (run.data.trigger as { properties?: Record<string, unknown> })?.properties ?? {},
      `${run.flowId}:${run.profileId}`,
      ctx.now,
    );
    for (let i = 0; i < MAX_STEPS_PER_ADVANCE; i++) {
      if (c.def.goal?.when && (await c.where.get("goal.when")!(facts)))
        return this.finish(run, c, "goal", "condition", ctx);
      const step = c.steps.get(run.stepId);
      if (!step) return this.finish(run, c, "failed", `no step ${run.stepId}`, ctx);
      const out = await this.execute(run, c, step, facts, ctx);
      if ("end" in out) return this.finish(run, c, out.end, undefined, ctx);
      if ("wait" in out) {
        run.wakeAt = out.wait;
        run.waitingFor = out.waitingFor ?? null;
        run.data = { ...run.data, phase: "waiting" };
        run.updatedAt = ctx.now;
        return this.flush(ctx, run);
      }
      this.enter(run, out.next);
    }
    // Unreachable for a valid definition; a bound all the same: continue on the next pass.
    run.wakeAt = ctx.now;
    run.updatedAt = ctx.now;
    await this.flush(ctx, run);
  }

  private async execute(
    run: RunRecord,
    c: Compiled,
    step: Step,
    facts: Facts,
    ctx: ReturnType<FlowEngine["context"]>,
  ): Promise<Outcome> {
    const now = ctx.now;
    switch (step.type) {
      case "wait":
        ctx.log(step.id, "waiting");
        return { wait: now + durationMs(step.duration) };
      case "wait_until": {
        ctx.log(step.id, "waiting");
        const zone = profileZone(await facts.profile());
        return { wait: nextLocalTime(now, zone, step.hour, step.minute, step.weekdays) };
      }
      case "wait_best_hour": {
        ctx.log(step.id, "waiting");
        const at = this.d.messenger ? await this.d.messenger.bestTime(run.profileId, now) : now;
        return { wait: Math.max(at, now) };
      }
      case "wait_for":
        ctx.log(step.id, "waiting");
        return { wait: now + durationMs(step.timeout), waitingFor: step.event };
      case "branch": {
        for (let i = 0; i < step.branches.length; i++)
          if (await c.where.get(`${step.id}#${i}`)!(facts)) {
            ctx.log(step.id, `branch_${i}`);
            return { next: step.branches[i]!.next };
          }
        ctx.log(step.id, "otherwise");
        return { next: step.otherwise };
      }
      case "split": {
        const total = step.arms.reduce((s, a) => s + a.weight, 0);
        let x = stableBucket(`${run.flowId}:${step.id}:${run.profileId}`) * total;
        for (let i = 0; i < step.arms.length; i++) {
          x -= step.arms[i]!.weight;
          if (x < 0 || i === step.arms.length - 1) {
            ctx.log(step.id, `arm_${i}`);
            return { next: step.arms[i]!.next };
          }
        }
        return { next: step.arms[0]!.next };
      }
      case "send":
      case "webhook":
        return this.send(run, c, step, ctx);
      case "update":
        await this.update(run, step, facts, ctx);
        return step.next ? { next: step.next } : { end: "completed" };
      case "exit":
        ctx.log(step.id, "exited");
        return { end: "exited" };
    }
  }

  private async send(
    run: RunRecord,
    c: Compiled,
    step: Extract<Step, { type: "send" | "webhook" }>,
    ctx: ReturnType<FlowEngine["context"]>,
  ): Promise<Outcome> {
    const now = ctx.now;
    const after: Outcome = step.next ? { next: step.next } : { end: "completed" };
    const sends = ((run.data.sends as number[] | undefined) ?? []).filter((t) => t > now - DAY);
    if (c.def.maxSendsPerDay !== undefined && sends.length >= c.def.maxSendsPerDay) {
      ctx.log(step.id, "capped", "flow_daily_cap");
      return after;
    }
    if (!this.d.messenger) {
      ctx.log(step.id, "failed", "no_messenger");
      return after;
    }
    // Written before the call: a crash from here resumes at this step with the same key, and
    // the Messenger answers a repeated key with its first outcome instead of sending again.
    // A run claimed at this very step is held by its claim already: no write needed first.
    const reached = { ...((run.data.reached as Record<string, number> | undefined) ?? {}) };
    reached[step.id] ??= ctx.claimedAt === step.id ? run.updatedAt : now;
    run.data = { ...run.data, reached, phase: "busy" };
    if (ctx.claimedAt !== step.id) {
      run.wakeAt = now + this.lease;
      run.updatedAt = now;
      await this.flush(ctx, run);
    }
    ctx.claimedAt = null;
    const visit = (run.data.visits as Record<string, number> | undefined)?.[step.id] ?? 1;
    const key = `${run.id}:${step.id}${visit > 1 ? `#${visit}` : ""}`;
    const trigger = run.data.trigger as { properties?: unknown; name?: unknown; type?: unknown } | undefined;
    let out: SendOutcome;
    try {
      out = await this.d.messenger.send({
        key,
        person: run.profileId,
        template: step.template,
        channels: step.type === "webhook" ? ["webhook"] : step.channels,
        priority: (step.type === "send" ? step.priority : undefined) ?? c.def.priority,
        deadline:
          step.type === "send" && step.deadline ? reached[step.id]! + durationMs(step.deadline) : undefined,
        data: {
          event: trigger?.properties ?? {},
          trigger: trigger ?? {},
          ...(trigger?.type === "catalog" ? { product: trigger.properties } : {}),
          flow: c.def.data ?? {},
          answer: run.data.answer ?? null,
        },
        source: { flowId: run.flowId, flowVersion: run.version, runId: run.id, stepId: step.id },
        campaign: `${run.flowId}-${step.id}`,
      });
    } catch (err) {
      // Sending itself failed (its store): try again once the lease lapses, same key.
      this.d.logger.error({ err, runId: run.id }, "a flow send threw");
      return { wait: now + this.lease };
    }
    switch (out.status) {
      case "accepted":
        ctx.log(step.id, "sent", out.attemptId);
        run.data = { ...run.data, sends: [...sends, now] };
        ctx.send = { profileId: run.profileId, flowId: run.flowId, stepId: step.id, runId: run.id, at: now };
        return after;
      case "deferred":
        ctx.log(step.id, "deferred", out.reason);
        return { wait: out.until };
      case "skipped":
        ctx.log(
          step.id,
          out.reason === "frequency_cap" || out.reason === "deadline_passed" ? "capped" : "suppressed",
          out.reason,
        );
        return after;
      case "failed":
        ctx.log(step.id, "failed", out.reason.slice(0, 200));
        return after;
    }
  }

  private async update(
    run: RunRecord,
    step: Extract<Step, { type: "update" }>,
    facts: Facts,
    ctx: ReturnType<FlowEngine["context"]>,
  ): Promise<void> {
    const p = await facts.profile();
    const userId = p?.userId ?? null;
    const anonymousId = p?.anonymousIds[0] ?? null;
    if (!this.d.profiles.ingest || (!userId && !anonymousId)) {
      ctx.log(step.id, "failed", "no_identity");
      return;
    }
    const traits: Record<string, unknown> = { ...(step.traits ?? {}) };
    if (step.tags?.length) {
      const had = Array.isArray(p!.traits.tags)
        ? (p!.traits.tags as unknown[]).filter((t) => typeof t === "string")
        : [];
      traits.tags = [...new Set([...(had as string[]), ...step.tags])].slice(0, 100);
    }
    const visit = (run.data.visits as Record<string, number> | undefined)?.[step.id] ?? 1;
    // The message id is the run and step: a repeat after a crash is a duplicate the ingestion drops.
    const messageId = `${run.id}:${step.id}:${visit}`;
    const body = {
      type: "identify",
      messageId,
      userId,
      anonymousId,
      traits,
      timestamp: new Date(ctx.now).toISOString(),
    };
    await this.d.profiles.ingest([
      {
        type: "identify",
        messageId,
        userId,
        anonymousId,
        previousId: null,
        groupId: null,
        event: null,
        properties: {},
        traits,
        context: { library: { name: "opentime-flows" } },
        timestamp: ctx.now,
        receivedAt: ctx.now,
        body: JSON.stringify(body),
      },
    ]);
    ctx.log(step.id, "updated");
  }

  private async finish(
    run: RunRecord,
    c: Compiled | null,
    end: RunEnd,
    detail?: string,
    ctx = c ? this.context(run, c, this.d.clock.now()) : null,
  ): Promise<void> {
    const now = this.d.clock.now();
    run.status = end;
    run.wakeAt = null;
    run.waitingFor = null;
    run.updatedAt = now;
    if (ctx) {
      if (end === "goal") ctx.log(run.stepId, "goal", detail);
      ctx.counters.push({ flowId: run.flowId, stepId: "", name: end === "goal" ? "goal" : end, n: 1 });
    }
    this.metrics.runs.inc({ event: end });
    if (ctx) await this.flush(ctx, run);
    else await this.persist({ update: run });
  }

  // --- facts --------------------------------------------------------------------------------

  private facts(pid: string, props: Readonly<Record<string, unknown>>, salt: string, now: number): Facts {
    let profile: Promise<Profile | null> | null = null;
    return {
      now,
      devices: () => new Set(),
      profile: () => {
        profile ??= this.d.profiles.find(pid, { history: false }).catch(() => null);
        return profile;
      },
      weather: async () => null,
      bucket: (s) => stableBucket(`${salt}:${pid}:${s}`),
      event: () => props,
    };
  }

  // --- operator actions ------------------------------------------------------------------

  /** Pause/resume/archive: archive ends the flow's runs. */
  async setStatus(id: string, status: FlowStatus): Promise<FlowRecord | null> {
    const f = await this.d.store.flow(id);
    if (!f) return null;
    const now = this.d.clock.now();
    await this.d.store.setStatus(id, status, now);
    if (status === "archived") {
      const n = await this.d.store.endRuns(id, "archived", now);
      if (n) await this.d.store.count([{ flowId: id, stepId: "", name: "archived", n }]);
    }
    const updated = { ...f, status, updatedAt: now };
    this.install(updated);
    return updated;
  }

  /** Stores a definition as a flow's next version (1 for a new one). */
  async save(
    id: string,
    definition: FlowDefinition,
    opts: { builtin?: string | null; migrate?: boolean; status?: FlowStatus } = {},
  ): Promise<FlowRecord> {
    const prev = await this.d.store.flow(id);
    const now = this.d.clock.now();
    const rec: FlowRecord = {
      id,
      version: (prev?.version ?? 0) + 1,
      status: opts.status ?? (prev?.status === "archived" ? "active" : (prev?.status ?? "active")),
      builtin: opts.builtin !== undefined ? opts.builtin : (prev?.builtin ?? null),
      definition,
      createdAt: prev?.createdAt ?? now,
      updatedAt: now,
    };
    await this.d.store.putFlow(rec);
    if (prev && opts.migrate) await this.d.store.migrateRuns(id, rec.version);
    this.install(rec);
    return rec;
  }
}

/** The last human open, human click or visit (Segment page/track session); creation before any. */
export function lastActivity(p: Profile): number {
  return Math.max(
    p.createdAt,
    p.session?.lastActivityAt ?? 0,
    p.email.lastOpenAt ?? 0,
    p.email.lastClickAt ?? 0,
  );
}

/** A date trait as [year, month 0-11, day], from `YYYY-MM-DD…` or Unix ms; null if neither. */
function dateParts(v: unknown): [number, number, number] | null {
  if (typeof v === "string") {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
    if (!m) return null;
    const mo = Number(m[2]) - 1;
    const d = Number(m[3]);
    return mo >= 0 && mo < 12 && d >= 1 && d <= 31 ? [Number(m[1]), mo, d] : null;
  }
  if (typeof v === "number" && Number.isFinite(v)) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  }
  return null;
}

/** The latest occurrence at or before `now` of a date trigger for this person, in their zone; null if none. */
export function dateOccurrence(
  p: Profile,
  t: { trait: string; offsetDays: number; at: string; recurring: boolean },
  now: number,
): number | null {
  const parts = dateParts(p.traits[t.trait]);
  if (!parts) return null;
  const zone = profileZone(p);
  const hour = Number(t.at.slice(0, 2));
  const minute = Number(t.at.slice(3, 5));
  // Day arithmetic through Date.UTC (Feb 29 falls on Mar 1 in other years), then local time in the zone.
  const at = (y: number) => {
    const day = new Date(Date.UTC(y, parts[1], parts[2] + t.offsetDays));
    return instantOf(zone, day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour, minute);
  };
  if (!t.recurring) {
    const occ = at(parts[0]);
    return occ <= now ? occ : null;
  }
  const year = wallClock(zone, now).getUTCFullYear();
  for (const y of [year + 1, year, year - 1]) {
    if (y < parts[0]) continue;
    const occ = at(y);
    if (occ <= now) return occ;
  }
  return null;
}
