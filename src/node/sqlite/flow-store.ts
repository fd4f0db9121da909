import type Database from "better-sqlite3";
import type { FlowDefinition } from "../../core/flows/definition.js";
import type {
  FlowCounter,
  FlowRecord,
  FlowStatus,
  FlowStore,
  FlowWrite,
  RunEnd,
  RunRecord,
  StepEntry,
} from "../../core/ports/flows.js";
import { immediate } from "./write-lock.js";

type FlowRow = {
  id: string;
  version: number;
  status: string;
  builtin: string | null;
  body: string;
  created_at: number;
  updated_at: number;
};
type RunRow = {
  id: string;
  flow_id: string;
  version: number;
  profile_id: string;
  status: string;
  step_id: string;
  wake_at: number | null;
  waiting_for: string | null;
  data: string;
  started_at: number;
  updated_at: number;
};

const toFlow = (r: FlowRow): FlowRecord => ({
  id: r.id,
  version: r.version,
  status: r.status as FlowStatus,
  builtin: r.builtin,
  definition: JSON.parse(r.body) as FlowDefinition,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const toRun = (r: RunRow): RunRecord => ({
  id: r.id,
  flowId: r.flow_id,
  version: r.version,
  profileId: r.profile_id,
  status: r.status as RunRecord["status"],
  stepId: r.step_id,
  wakeAt: r.wake_at,
  waitingFor: r.waiting_for,
  data: JSON.parse(r.data) as Record<string, unknown>,
  startedAt: r.started_at,
  updatedAt: r.updated_at,
});
const runParams = (r: RunRecord) => ({
  id: r.id,
  flowId: r.flowId,
  version: r.version,
  profileId: r.profileId,
  status: r.status,
  stepId: r.stepId,
  wakeAt: r.wakeAt,
  waitingFor: r.waitingFor,
  data: JSON.stringify(r.data),
  startedAt: r.startedAt,
  updatedAt: r.updatedAt,
});

/**
 * Flows in the same SQLite file as the rest (migration 21). A plain synchronous class: each
 * write is one small statement (or one short IMMEDIATE transaction), so it can move onto a
 * writer thread or into a batch unchanged.
 */
export class SqliteFlowStore implements FlowStore {
  private readonly s;
  private readonly claim: (now: number, leaseMs: number, limit: number) => RunRecord[];
  private readonly putVersion: (f: FlowRecord) => void;
  private readonly logMany: (entries: readonly StepEntry[]) => void;
  private readonly countMany: (counters: readonly FlowCounter[]) => void;
  private readonly writeMany: (batch: readonly FlowWrite[]) => void;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertFlow: p(
        `INSERT INTO flows (id, version, status, builtin, body, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      statusAll: p("UPDATE flows SET status = ?, updated_at = ? WHERE id = ?"),
      current: p("SELECT * FROM flows WHERE id = ? ORDER BY version DESC LIMIT 1"),
      version: p("SELECT * FROM flows WHERE id = ? AND version = ?"),
      all: p(
        `SELECT f.* FROM flows f JOIN (SELECT id, max(version) AS v FROM flows GROUP BY id) m
           ON f.id = m.id AND f.version = m.v ORDER BY f.id`,
      ),
      insertRun: p(
        `INSERT INTO flow_runs (id, flow_id, version, profile_id, status, step_id, wake_at, claimed_until,
                                waiting_for, data, started_at, updated_at)
           VALUES (@id, @flowId, @version, @profileId, @status, @stepId, @wakeAt, NULL,
                   @waitingFor, @data, @startedAt, @updatedAt)`,
      ),
      updateRun: p(
        `UPDATE flow_runs SET version = @version, status = @status, step_id = @stepId, wake_at = @wakeAt,
             claimed_until = NULL, waiting_for = @waitingFor, data = @data, updated_at = @updatedAt
           WHERE id = @id`,
      ),
      run: p("SELECT * FROM flow_runs WHERE id = ?"),
      active: p("SELECT * FROM flow_runs WHERE profile_id = ? AND status = 'active'"),
      runsOf: p("SELECT * FROM flow_runs WHERE profile_id = ? ORDER BY started_at DESC LIMIT ?"),
      lastStart: p("SELECT max(started_at) AS t FROM flow_runs WHERE flow_id = ? AND profile_id = ?"),
      migrate: p("UPDATE flow_runs SET version = ? WHERE flow_id = ? AND status = 'active' AND version <> ?"),
      endRuns: p(
        `UPDATE flow_runs SET status = ?, wake_at = NULL, claimed_until = NULL, waiting_for = NULL,
             updated_at = ? WHERE flow_id = ? AND status = 'active'`,
      ),
      due: p(
        `SELECT id FROM flow_runs WHERE status = 'active' AND wake_at <= ?
            AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY wake_at LIMIT ?`,
      ),
      take: p("UPDATE flow_runs SET claimed_until = ? WHERE id = ? RETURNING *"),
      nextDue: p("SELECT min(wake_at) AS t FROM flow_runs WHERE status = 'active'"),
      waiting: p("SELECT count(*) AS n FROM flow_runs WHERE flow_id = ? AND status = 'active'"),
      lastSeq: p("SELECT coalesce(max(seq), 0) AS s FROM flow_steps WHERE run_id = ?"),
      insertStep: p(
        "INSERT INTO flow_steps (run_id, seq, step_id, at, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      steps: p("SELECT * FROM flow_steps WHERE run_id = ? ORDER BY seq"),
      count: p(
        `INSERT INTO flow_counters (flow_id, step_id, name, n) VALUES (?, ?, ?, ?)
           ON CONFLICT (flow_id, step_id, name) DO UPDATE SET n = n + excluded.n`,
      ),
      counters: p("SELECT flow_id, step_id, name, n FROM flow_counters WHERE flow_id = ?"),
      noteSend: p(
        "INSERT OR IGNORE INTO flow_sends (profile_id, at, flow_id, step_id, run_id) VALUES (?, ?, ?, ?, ?)",
      ),
      lastSend: p(
        `SELECT flow_id, step_id, run_id, at FROM flow_sends WHERE profile_id = ? AND at >= ?
           ORDER BY at DESC LIMIT 1`,
      ),
      watch: p(
        `INSERT INTO flow_watches (product_id, profile_id, kind, at) VALUES (?, ?, ?, ?)
           ON CONFLICT (product_id, profile_id, kind) DO UPDATE SET at = excluded.at`,
      ),
    };
    // One statement per claimed row inside one IMMEDIATE transaction: the select and the
    // marks are atomic, so two passes (or two processes) never take the same timer.
    this.claim = immediate(db, (now: number, leaseMs: number, limit: number) => {
      const ids = this.s.due.all(now, now, limit) as { id: string }[];
      return ids.map(({ id }) => toRun(this.s.take.get(now + leaseMs, id) as RunRow));
    });
    this.putVersion = immediate(db, (f: FlowRecord) => {
      this.s.insertFlow.run(
        f.id,
        f.version,
        f.status,
        f.builtin,
        JSON.stringify(f.definition),
        f.createdAt,
        f.updatedAt,
      );
      this.s.statusAll.run(f.status, f.updatedAt, f.id);
    });
    this.logMany = immediate(db, (entries: readonly StepEntry[]) => {
      const seqs = new Map<string, number>();
      for (const e of entries) {
        const seq = (seqs.get(e.runId) ?? (this.s.lastSeq.get(e.runId) as { s: number }).s) + 1;
        seqs.set(e.runId, seq);
        this.s.insertStep.run(e.runId, seq, e.stepId, e.at, e.outcome, e.detail ?? null);
      }
    });
    this.countMany = immediate(db, (counters: readonly FlowCounter[]) => {
      for (const c of counters) this.s.count.run(c.flowId, c.stepId, c.name, c.n);
    });
    // Inside this transaction the helpers above are part of it (immediate nests as plain calls).
    this.writeMany = immediate(db, (batch: readonly FlowWrite[]) => {
      for (const w of batch) {
        if (w.insert) this.s.insertRun.run(runParams(w.insert));
        if (w.steps?.length) this.logMany(w.steps);
        if (w.counters?.length) this.countMany(w.counters);
        if (w.send) this.noteSend(w.send);
        if (w.watch) this.watch(w.watch.productId, w.watch.profileId, w.watch.kind, w.watch.at);
        if (w.update) this.s.updateRun.run(runParams(w.update));
      }
    });
  }

  write(batch: readonly FlowWrite[]): void {
    if (batch.length) this.writeMany(batch);
  }

  putFlow(f: FlowRecord): void {
    this.putVersion(f);
  }
  flow(id: string, version?: number): FlowRecord | null {
    const r = (version === undefined ? this.s.current.get(id) : this.s.version.get(id, version)) as
      | FlowRow
      | undefined;
    return r ? toFlow(r) : null;
  }
  flows(): FlowRecord[] {
    return (this.s.all.all() as FlowRow[]).map(toFlow);
  }
  setStatus(id: string, status: FlowStatus, at: number): void {
    this.s.statusAll.run(status, at, id);
  }

  insertRun(run: RunRecord): void {
    this.s.insertRun.run(runParams(run));
  }
  updateRun(run: RunRecord): void {
    this.s.updateRun.run(runParams(run));
  }
  run(id: string): RunRecord | null {
    const r = this.s.run.get(id) as RunRow | undefined;
    return r ? toRun(r) : null;
  }
  activeRunsOf(profileId: string): RunRecord[] {
    return (this.s.active.all(profileId) as RunRow[]).map(toRun);
  }
  runsOf(profileId: string, limit: number): RunRecord[] {
    return (this.s.runsOf.all(profileId, limit) as RunRow[]).map(toRun);
  }
  lastStartOf(flowId: string, profileId: string): number | null {
    return (this.s.lastStart.get(flowId, profileId) as { t: number | null }).t;
  }
  migrateRuns(flowId: string, version: number): number {
    return this.s.migrate.run(version, flowId, version).changes;
  }
  endRuns(flowId: string, status: RunEnd, at: number): number {
    return this.s.endRuns.run(status, at, flowId).changes;
  }
  claimDue(now: number, leaseMs: number, limit: number): RunRecord[] {
    return this.claim(now, leaseMs, limit);
  }
  nextDue(): number | null {
    return (this.s.nextDue.get() as { t: number | null }).t;
  }
  countWaiting(flowId: string): number {
    return (this.s.waiting.get(flowId) as { n: number }).n;
  }

  logSteps(entries: readonly StepEntry[]): void {
    if (entries.length) this.logMany(entries);
  }
  stepsOf(runId: string): StepEntry[] {
    return (
      this.s.steps.all(runId) as {
        run_id: string;
        step_id: string;
        at: number;
        outcome: string;
        detail: string | null;
      }[]
    ).map((r) => ({
      runId: r.run_id,
      stepId: r.step_id,
      at: r.at,
      outcome: r.outcome,
      ...(r.detail !== null ? { detail: r.detail } : {}),
    }));
  }
  count(counters: readonly FlowCounter[]): void {
    if (counters.length) this.countMany(counters);
  }
  counters(flowId: string): FlowCounter[] {
    return (
      this.s.counters.all(flowId) as { flow_id: string; step_id: string; name: string; n: number }[]
    ).map((r) => ({ flowId: r.flow_id, stepId: r.step_id, name: r.name, n: r.n }));
  }

  noteSend(s: { profileId: string; flowId: string; stepId: string; runId: string; at: number }): void {
    this.s.noteSend.run(s.profileId, s.at, s.flowId, s.stepId, s.runId);
  }
  lastSendOf(profileId: string, since: number) {
    const r = this.s.lastSend.get(profileId, since) as
      | { flow_id: string; step_id: string; run_id: string; at: number }
      | undefined;
    return r ? { flowId: r.flow_id, stepId: r.step_id, runId: r.run_id, at: r.at } : null;
  }

  watch(productId: string, profileId: string, kind: string, at: number): void {
    this.s.watch.run(productId, profileId, kind, at);
  }
  watchers(productId: string, kinds: readonly string[], since: number, limit: number): string[] {
    const marks = kinds.map(() => "?").join(",");
    const rows = this.db
      .prepare(
        `SELECT DISTINCT profile_id FROM flow_watches WHERE product_id = ? AND kind IN (${marks}) AND at >= ? LIMIT ?`,
      )
      .all(productId, ...kinds, since, limit) as { profile_id: string }[];
    return rows.map((r) => r.profile_id);
  }
}
