import type { App } from "../app-env.js";
import { findFlow, flowParam, flowsOf } from "./flows-shared.js";

/** What the stats name, flow-wide and per step (each counter the engine keeps, plus waiting). */
const FLOW_COUNTS = [
  "entered",
  "completed",
  "exited",
  "goal",
  "archived",
  "failed",
  "conversions",
  "revenue",
];

/**
 * GET /v1/flows/:id/stats — per flow and per step: entered, waiting (runs now active),
 * sent, deferred, capped, suppressed, failed, goal reached, exited, conversions and revenue
 * (an Order Completed within the flow's conversion window after one of its sends).
 */
export function registerFlowsStats(app: App): void {
  app.get("/v1/flows/:id/stats", async (c) => {
    const id = flowParam(c);
    const f = await findFlow(c, id);
    const engine = flowsOf(c);
    const counters = await engine.store.counters(id);
    const flow: Record<string, number> = Object.fromEntries(FLOW_COUNTS.map((k) => [k, 0]));
    const steps = new Map<string, Record<string, number>>(f.definition.steps.map((s) => [s.id, {}]));
    for (const k of counters) {
      if (k.stepId === "") flow[k.name] = k.n;
      else {
        const st = steps.get(k.stepId) ?? {};
        st[k.name] = k.n;
        steps.set(k.stepId, st);
      }
    }
    for (const st of steps.values()) {
      st.sent ??= 0;
      flow.sent = (flow.sent ?? 0) + st.sent;
      for (const k of ["capped", "suppressed", "deferred"]) flow[k] = (flow[k] ?? 0) + (st[k] ?? 0);
    }
    flow.waiting = await engine.store.countWaiting(id);
    return c.json({
      id,
      version: f.version,
      status: f.status,
      flow,
      steps: [...steps].map(([stepId, counts]) => ({ stepId, ...counts })),
    });
  });
}
