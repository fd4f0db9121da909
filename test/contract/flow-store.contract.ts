import { describe, expect, it } from "vitest";
import type { FlowDefinition } from "../../src/core/flows/definition.js";
import type { FlowRecord, FlowStore, RunRecord } from "../../src/core/ports/flows.js";

const definition = {
  name: "Cart",
  trigger: { type: "event", name: "Product Added" },
  reentry: "always",
  maxConcurrent: 1,
  priority: 50,
  conversionHours: 72,
  start: "w",
  steps: [
    { id: "w", type: "wait", duration: { minutes: 30 }, next: "x" },
    { id: "x", type: "exit" },
  ],
} as FlowDefinition;

/** One contract every FlowStore adapter passes: the in-memory fake and SQLite. */
export function flowStoreContract(
  name: string,
  open: () => Promise<{ store: FlowStore; reopen?: () => Promise<FlowStore> }>,
) {
  const flow = (over: Partial<FlowRecord> = {}): FlowRecord => ({
    id: "cart",
    version: 1,
    status: "active",
    builtin: null,
    definition,
    createdAt: 1000,
    updatedAt: 1000,
    ...over,
  });
  const run = (over: Partial<RunRecord> = {}): RunRecord => ({
    id: "r1",
    flowId: "cart",
    version: 1,
    profileId: "p1",
    status: "active",
    stepId: "w",
    wakeAt: 5000,
    waitingFor: null,
    data: { trigger: { name: "Product Added", properties: { sku: "a" } } },
    startedAt: 1000,
    updatedAt: 1000,
    ...over,
  });

  describe(`FlowStore contract: ${name}`, () => {
    it("keeps every version; the current is the newest; status applies to the flow", async () => {
      const { store } = await open();
      await store.putFlow(flow());
      await store.putFlow(
        flow({ version: 2, updatedAt: 2000, definition: { ...definition, name: "Cart 2" } }),
      );
      expect((await store.flow("cart"))!.definition.name).toBe("Cart 2");
      expect((await store.flow("cart", 1))!.definition.name).toBe("Cart");
      expect(await store.flow("nope")).toBeNull();
      await store.setStatus("cart", "paused", 3000);
      expect(await store.flows()).toMatchObject([
        { id: "cart", version: 2, status: "paused", updatedAt: 3000 },
      ]);
    });

    it("claims each due timer once until its lease lapses", async () => {
      const { store } = await open();
      await store.insertRun(run());
      await store.insertRun(run({ id: "r2", wakeAt: 9000 }));
      expect(await store.nextDue()).toBe(5000);
      expect(await store.claimDue(4999, 1000, 10)).toEqual([]);
      expect((await store.claimDue(5000, 1000, 10)).map((r) => r.id)).toEqual(["r1"]);
      // Claimed: a second pass does not take it again, until the lease lapses.
      expect(await store.claimDue(5500, 1000, 10)).toEqual([]);
      expect((await store.claimDue(6000, 1000, 10)).map((r) => r.id)).toEqual(["r1"]);
      // An update releases the claim and sets the next timer.
      await store.updateRun({ ...run(), stepId: "x", wakeAt: 7000 });
      expect((await store.claimDue(9000, 1000, 1)).map((r) => r.id)).toEqual(["r1"]);
      expect((await store.claimDue(9000, 1000, 10)).map((r) => r.id)).toEqual(["r2"]);
      expect(await store.run("r1")).toEqual({ ...run(), stepId: "x", wakeAt: 7000 });
    });

    it("finds a person's runs, ends and migrates a flow's active runs", async () => {
      const { store } = await open();
      await store.insertRun(run());
      await store.insertRun(run({ id: "r2", startedAt: 2000 }));
      await store.insertRun(run({ id: "r3", profileId: "p2" }));
      expect((await store.activeRunsOf("p1")).map((r) => r.id).sort()).toEqual(["r1", "r2"]);
      expect((await store.runsOf("p1", 1)).map((r) => r.id)).toEqual(["r2"]);
      expect(await store.lastStartOf("cart", "p1")).toBe(2000);
      expect(await store.lastStartOf("cart", "p9")).toBeNull();
      expect(await store.countWaiting("cart")).toBe(3);
      expect(await store.migrateRuns("cart", 2)).toBe(3);
      expect((await store.run("r1"))!.version).toBe(2);
      expect(await store.endRuns("cart", "archived", 3000)).toBe(3);
      expect(await store.activeRunsOf("p1")).toEqual([]);
      expect(await store.claimDue(10_000, 1000, 10)).toEqual([]);
      expect(await store.nextDue()).toBeNull();
    });

    it("logs steps in order, adds counters, remembers sends and watches", async () => {
      const { store } = await open();
      await store.logSteps([
        { runId: "r1", stepId: "w", at: 1, outcome: "entered" },
        { runId: "r1", stepId: "s", at: 2, outcome: "sent", detail: "att_1" },
      ]);
      await store.logSteps([{ runId: "r1", stepId: "x", at: 3, outcome: "exited" }]);
      expect((await store.stepsOf("r1")).map((s) => s.outcome)).toEqual(["entered", "sent", "exited"]);
      expect((await store.stepsOf("r1"))[1]).toEqual({
        runId: "r1",
        stepId: "s",
        at: 2,
        outcome: "sent",
        detail: "att_1",
      });
      await store.count([
        { flowId: "cart", stepId: "", name: "entered", n: 1 },
        { flowId: "cart", stepId: "s", name: "revenue", n: 12.5 },
      ]);
      await store.count([{ flowId: "cart", stepId: "", name: "entered", n: 2 }]);
      const counters = await store.counters("cart");
      expect(counters.find((c) => c.name === "entered")!.n).toBe(3);
      expect(counters.find((c) => c.name === "revenue")!.n).toBe(12.5);
      await store.noteSend({ profileId: "p1", flowId: "cart", stepId: "s", runId: "r1", at: 100 });
      await store.noteSend({ profileId: "p1", flowId: "cart", stepId: "s2", runId: "r1", at: 200 });
      expect(await store.lastSendOf("p1", 0)).toEqual({ flowId: "cart", stepId: "s2", runId: "r1", at: 200 });
      expect(await store.lastSendOf("p1", 201)).toBeNull();
      await store.watch("sku1", "p1", "viewed", 100);
      await store.watch("sku1", "p2", "carted", 100);
      await store.watch("sku1", "p1", "viewed", 300);
      expect((await store.watchers("sku1", ["viewed", "carted"], 0, 10)).sort()).toEqual(["p1", "p2"]);
      expect(await store.watchers("sku1", ["viewed"], 200, 10)).toEqual(["p1"]);
      expect(await store.watchers("sku2", ["viewed"], 0, 10)).toEqual([]);
    });

    it("applies a batch of writes in order as one", async () => {
      const { store } = await open();
      await store.write([
        { insert: run(), counters: [{ flowId: "cart", stepId: "", name: "entered", n: 1 }] },
        {
          steps: [{ runId: "r1", stepId: "w", at: 2, outcome: "waiting" }],
          send: { profileId: "p1", flowId: "cart", stepId: "s", runId: "r1", at: 2 },
          watch: { productId: "sku", profileId: "p1", kind: "viewed", at: 2 },
          update: run({ stepId: "x", wakeAt: 9000, updatedAt: 2 }),
        },
      ]);
      expect(await store.run("r1")).toMatchObject({ stepId: "x", wakeAt: 9000 });
      expect(await store.stepsOf("r1")).toHaveLength(1);
      expect(await store.counters("cart")).toEqual([{ flowId: "cart", stepId: "", name: "entered", n: 1 }]);
      expect(await store.lastSendOf("p1", 0)).toMatchObject({ stepId: "s" });
      expect(await store.watchers("sku", ["viewed"], 0, 10)).toEqual(["p1"]);
    });

    it("keeps runs and timers across a reopen", async () => {
      const { store, reopen } = await open();
      if (!reopen) return;
      await store.putFlow(flow());
      await store.insertRun(run());
      await store.claimDue(5000, 60_000, 10);
      const again = await reopen();
      expect((await again.flow("cart"))!.version).toBe(1);
      // A claim taken before a crash lapses; the timer fires then.
      expect(await again.claimDue(5000, 1000, 10)).toEqual([]);
      expect((await again.claimDue(65_000, 1000, 10)).map((r) => r.id)).toEqual(["r1"]);
    });
  });
}
