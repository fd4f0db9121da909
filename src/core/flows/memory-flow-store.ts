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

const copy = <T>(v: T): T => structuredClone(v);

/** FlowStore in memory: unit tests and the contract suite's reference. */
export class MemoryFlowStore implements FlowStore {
  private versions = new Map<string, FlowRecord[]>();
  private runs = new Map<string, RunRecord & { claimedUntil: number | null }>();
  private steps = new Map<string, StepEntry[]>();
  private counts = new Map<string, FlowCounter>();
  private sends: { profileId: string; flowId: string; stepId: string; runId: string; at: number }[] = [];
  private watches = new Map<string, Map<string, { kind: string; at: number }[]>>();

  write(batch: readonly FlowWrite[]): void {
    for (const w of batch) {
      if (w.insert) this.insertRun(w.insert);
      if (w.steps?.length) this.logSteps(w.steps);
      if (w.counters?.length) this.count(w.counters);
      if (w.send) this.noteSend(w.send);
      if (w.watch) this.watch(w.watch.productId, w.watch.profileId, w.watch.kind, w.watch.at);
      if (w.update) this.updateRun(w.update);
    }
  }

  putFlow(f: FlowRecord): void {
    const list = this.versions.get(f.id) ?? [];
    list.push(copy(f));
    this.versions.set(f.id, list);
  }
  flow(id: string, version?: number): FlowRecord | null {
    const list = this.versions.get(id);
    if (!list) return null;
    const f = version === undefined ? list[list.length - 1] : list.find((x) => x.version === version);
    return f ? copy(f) : null;
  }
  flows(): FlowRecord[] {
    return [...this.versions.values()]
      .map((l) => copy(l[l.length - 1]!))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  setStatus(id: string, status: FlowStatus, at: number): void {
    for (const f of this.versions.get(id) ?? []) {
      f.status = status;
      f.updatedAt = at;
    }
  }

  insertRun(run: RunRecord): void {
    this.runs.set(run.id, { ...copy(run), claimedUntil: null });
  }
  updateRun(run: RunRecord): void {
    if (this.runs.has(run.id)) this.runs.set(run.id, { ...copy(run), claimedUntil: null });
  }
  run(id: string): RunRecord | null {
    const r = this.runs.get(id);
    return r ? strip(r) : null;
  }
  activeRunsOf(profileId: string): RunRecord[] {
    return [...this.runs.values()]
      .filter((r) => r.profileId === profileId && r.status === "active")
      .map(strip);
  }
  runsOf(profileId: string, limit: number): RunRecord[] {
    return [...this.runs.values()]
      .filter((r) => r.profileId === profileId)
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, limit)
      .map(strip);
  }
  lastStartOf(flowId: string, profileId: string): number | null {
    let last: number | null = null;
    for (const r of this.runs.values())
      if (r.flowId === flowId && r.profileId === profileId && (last === null || r.startedAt > last))
        last = r.startedAt;
    return last;
  }
  migrateRuns(flowId: string, version: number): number {
    let n = 0;
    for (const r of this.runs.values())
      if (r.flowId === flowId && r.status === "active" && r.version !== version) {
        r.version = version;
        n++;
      }
    return n;
  }
  endRuns(flowId: string, status: RunEnd, at: number): number {
    let n = 0;
    for (const r of this.runs.values())
      if (r.flowId === flowId && r.status === "active") {
        Object.assign(r, { status, wakeAt: null, waitingFor: null, updatedAt: at, claimedUntil: null });
        n++;
      }
    return n;
  }
  claimDue(now: number, leaseMs: number, limit: number): RunRecord[] {
    const due = [...this.runs.values()]
      .filter(
        (r) =>
          r.status === "active" &&
          r.wakeAt !== null &&
          r.wakeAt <= now &&
          (r.claimedUntil === null || r.claimedUntil <= now),
      )
      .sort((a, b) => a.wakeAt! - b.wakeAt!)
      .slice(0, limit);
    for (const r of due) r.claimedUntil = now + leaseMs;
    return due.map(strip);
  }
  nextDue(): number | null {
    let min: number | null = null;
    for (const r of this.runs.values())
      if (r.status === "active" && r.wakeAt !== null && (min === null || r.wakeAt < min)) min = r.wakeAt;
    return min;
  }
  countWaiting(flowId: string): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.flowId === flowId && r.status === "active") n++;
    return n;
  }

  logSteps(entries: readonly StepEntry[]): void {
    for (const e of entries) {
      const l = this.steps.get(e.runId) ?? [];
      l.push(copy(e));
      this.steps.set(e.runId, l);
    }
  }
  stepsOf(runId: string): StepEntry[] {
    return copy(this.steps.get(runId) ?? []);
  }
  count(counters: readonly FlowCounter[]): void {
    for (const c of counters) {
      const k = `${c.flowId}\u0000${c.stepId}\u0000${c.name}`;
      const cur = this.counts.get(k);
      if (cur) cur.n += c.n;
      else this.counts.set(k, { ...c });
    }
  }
  counters(flowId: string): FlowCounter[] {
    return [...this.counts.values()].filter((c) => c.flowId === flowId).map((c) => ({ ...c }));
  }

  noteSend(s: { profileId: string; flowId: string; stepId: string; runId: string; at: number }): void {
    this.sends.push({ ...s });
  }
  lastSendOf(profileId: string, since: number) {
    let best: (typeof this.sends)[number] | null = null;
    for (const s of this.sends)
      if (s.profileId === profileId && s.at >= since && (!best || s.at >= best.at)) best = s;
    return best ? { flowId: best.flowId, stepId: best.stepId, runId: best.runId, at: best.at } : null;
  }

  watch(productId: string, profileId: string, kind: string, at: number): void {
    let m = this.watches.get(productId);
    if (!m) {
      m = new Map();
      this.watches.set(productId, m);
    }
    const l = (m.get(profileId) ?? []).filter((w) => w.kind !== kind);
    l.push({ kind, at });
    m.set(profileId, l);
  }
  watchers(productId: string, kinds: readonly string[], since: number, limit: number): string[] {
    const m = this.watches.get(productId);
    if (!m) return [];
    const out: string[] = [];
    for (const [pid, l] of m) {
      if (l.some((w) => kinds.includes(w.kind) && w.at >= since)) out.push(pid);
      if (out.length >= limit) break;
    }
    return out;
  }
}

function strip(r: RunRecord & { claimedUntil: number | null }): RunRecord {
  const { claimedUntil: _, ...run } = r;
  return copy(run);
}
