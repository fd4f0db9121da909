import { describe, expect, it } from "vitest";
import { BUILTIN_NAMES, builtin } from "../../src/core/flows/builtins.js";
import { definitionSchema } from "../../src/core/flows/definition.js";
import { FlowEngine } from "../../src/core/flows/engine.js";
import { MemoryFlowStore } from "../../src/core/flows/memory-flow-store.js";
import type { Messenger, SendRequest } from "../../src/core/ports/messaging.js";
import type { Profile } from "../../src/core/ports/profiles.js";
import { emptyProfile } from "../../src/core/profiles/model.js";
import { createMemorySignals } from "../../src/core/signals/memory-signals.js";
import { manualClock } from "../helpers/sending.js";

const T0 = Date.UTC(2026, 0, 5, 11, 0);
const MIN = 60_000;

function setup(profiles: Record<string, Partial<Profile>> = {}) {
  const clock = manualClock(T0);
  const store = new MemoryFlowStore();
  const signals = createMemorySignals();
  const sent: SendRequest[] = [];
  const outcomes = new Map<string, Awaited<ReturnType<Messenger["send"]>>>();
  let next: Awaited<ReturnType<Messenger["send"]>> | null = null;
  const messenger: Messenger = {
    async send(req) {
      const had = outcomes.get(req.key);
      if (had) return had;
      const out = next ?? { status: "accepted", attemptId: `att_${sent.length + 1}`, channel: "email" };
      next = null;
      if (out.status === "accepted") sent.push(req);
      outcomes.set(req.key, out);
      return out;
    },
    async bestTime(_p, after) {
      return after + 3 * 60 * MIN;
    },
  };
  let n = 0;
  const engine = new FlowEngine({
    store,
    signals,
    clock,
    messenger,
    random: (k) => {
      n++;
      const b = new Uint8Array(k);
      b[0] = n;
      b[1] = n >> 8;
      return b;
    },
    logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
    profiles: {
      async find(id) {
        const p = profiles[id];
        return p ? { ...emptyProfile(id, T0), ...p } : { ...emptyProfile(id, T0) };
      },
      async profileIds(after, limit) {
        return Object.keys(profiles)
          .filter((id) => after === null || id > after)
          .sort()
          .slice(0, limit);
      },
    },
  });
  engine.start();
  const event = async (profileId: string, name: string, properties: Record<string, unknown> = {}) => {
    signals.emit({
      type: "event",
      profileId,
      name,
      kind: "track",
      properties,
      at: clock.now(),
      messageId: `m${Math.random()}`,
    });
    await engine.idle();
  };
  const advance = async (ms: number) => {
    clock.advance(ms);
    await engine.tick();
    await engine.idle();
  };
  return { clock, store, signals, engine, sent, event, advance, deferNext: (o: typeof next) => (next = o) };
}

const cart = definitionSchema.parse({
  name: "Cart",
  trigger: { type: "event", name: "Product Added" },
  goal: { event: "Order Completed" },
  start: "wait1",
  steps: [
    { id: "wait1", type: "wait", duration: { minutes: 30 }, next: "email1" },
    { id: "email1", type: "send", template: "cart-1", next: "wait2" },
    {
      id: "wait2",
      type: "wait_for",
      event: "$click",
      timeout: { hours: 24 },
      next: "done",
      timeoutNext: "email2",
    },
    { id: "email2", type: "send", template: "cart-2", next: "done" },
    { id: "done", type: "exit" },
  ],
});

describe("flow engine (memory store, fake messenger)", () => {
  it("starts on the event, waits, sends with the run-step key, then the timeout branch", async () => {
    const t = setup();
    await t.engine.save("cart", cart);
    await t.event("p1", "Product Added", { product_id: "sku1" });
    expect(t.sent).toHaveLength(0);
    await t.advance(29 * MIN);
    expect(t.sent).toHaveLength(0);
    await t.advance(MIN);
    expect(t.sent.map((s) => s.template)).toEqual(["cart-1"]);
    const runId = t.sent[0]!.source.runId;
    expect(t.sent[0]!.key).toBe(`${runId}:email1`);
    expect(t.sent[0]!.data.event).toEqual({ product_id: "sku1" });
    expect(t.sent[0]!.campaign).toBe("cart-email1");
    await t.advance(24 * 60 * MIN);
    expect(t.sent.map((s) => s.template)).toEqual(["cart-1", "cart-2"]);
    expect((await t.store.run(runId))!.status).toBe("exited");
    const stats = Object.fromEntries(
      (await t.store.counters("cart")).map((c) => [`${c.stepId}/${c.name}`, c.n]),
    );
    expect(stats).toMatchObject({
      "/entered": 1,
      "email1/sent": 1,
      "email2/sent": 1,
      "wait2/timed_out": 1,
      "/exited": 1,
    });
  });

  it("a goal ends the run mid-wait; an order after a send converts with its revenue", async () => {
    const t = setup();
    await t.engine.save("cart", cart);
    await t.event("p1", "Product Added");
    await t.advance(30 * MIN);
    await t.advance(60 * MIN);
    await t.event("p1", "Order Completed", { revenue: 99.5 });
    const [run] = await t.store.runsOf("p1", 1);
    expect(run!.status).toBe("goal");
    await t.advance(48 * 60 * MIN);
    expect(t.sent).toHaveLength(1);
    const c = await t.store.counters("cart");
    expect(c.find((x) => x.stepId === "" && x.name === "goal")!.n).toBe(1);
    expect(c.find((x) => x.stepId === "email1" && x.name === "revenue")!.n).toBe(99.5);
  });

  it("a click of the run's email takes the answered branch; concurrency and re-entry hold", async () => {
    const t = setup();
    await t.engine.save("cart", { ...cart, reentry: "once" });
    await t.event("p1", "Product Added");
    await t.event("p1", "Product Added");
    expect(await t.store.activeRunsOf("p1")).toHaveLength(1);
    await t.advance(30 * MIN);
    t.signals.emit({
      type: "click",
      recipient: "p1",
      campaign: "cart-email1",
      linkId: "l1",
      class: "human",
      at: t.clock.now(),
    });
    await new Promise((r) => setTimeout(r, 10));
    await t.engine.idle();
    const [run] = await t.store.runsOf("p1", 1);
    expect(run!.status).toBe("exited");
    expect(t.sent).toHaveLength(1);
    await t.event("p1", "Product Added");
    expect(await t.store.runsOf("p1", 10)).toHaveLength(1);
  });

  it("a deferred send is asked again at its time with the same key", async () => {
    const t = setup();
    await t.engine.save("cart", cart);
    t.deferNext({ status: "deferred", until: T0 + 5 * 60 * MIN, reason: "quiet_hours" });
    await t.event("p1", "Product Added");
    await t.advance(30 * MIN);
    expect(t.sent).toHaveLength(0);
  });

  it("branches on intent and splits stably per person", async () => {
    const t = setup({ hi: { intent: { v: 3, t: T0 } }, lo: { intent: { v: 0.1, t: T0 } } });
    const def = definitionSchema.parse({
      name: "Intent",
      trigger: { type: "event", name: "Go" },
      start: "b",
      steps: [
        {
          id: "b",
          type: "branch",
          branches: [{ when: { intent: { atLeast: 0.6 } }, next: "urgent" }],
          otherwise: "edu",
        },
        { id: "urgent", type: "send", template: "urgency" },
        { id: "edu", type: "send", template: "education" },
      ],
    });
    await t.engine.save("intent", def);
    await t.event("hi", "Go");
    await t.event("lo", "Go");
    expect(t.sent.map((s) => `${s.person}:${s.template}`)).toEqual(["hi:urgency", "lo:education"]);
  });
});

const DAY = 24 * 60 * MIN;

function sendOnly(name: string, trigger: unknown, template: string) {
  return definitionSchema.parse({
    name,
    trigger,
    start: "send",
    steps: [
      { id: "send", type: "send", template, next: "done" },
      { id: "done", type: "exit" },
    ],
  });
}

describe("flow engine sweep: inactivity and date triggers", () => {
  it("a person inactive past N days enters once per spell; an active one does not", async () => {
    const email = emptyProfile("x", T0).email;
    const profiles: Record<string, Partial<Profile>> = {
      idle: {
        createdAt: T0 - 100 * DAY,
        session: { startedAt: T0 - 40 * DAY, lastActivityAt: T0 - 40 * DAY, events: 3, views: [] },
      },
      opener: { createdAt: T0 - 100 * DAY, email: { ...email, lastOpenAt: T0 - DAY } },
      fresh: { createdAt: T0 - 2 * DAY },
    };
    const t = setup(profiles);
    await t.engine.save("win", sendOnly("Win", { type: "inactivity", days: 30 }, "miss-you"));
    await t.advance(MIN);
    expect(t.sent.map((s) => s.person)).toEqual(["idle"]);
    expect(t.sent[0]!.data.trigger).toMatchObject({ type: "inactivity", lastActiveAt: T0 - 40 * DAY });
    // Later sweeps in the same spell: no second entry (re-entry is "always").
    await t.advance(10 * MIN);
    await t.advance(DAY);
    expect(t.sent.map((s) => s.person)).toEqual(["idle"]);
    // Back, then idle again for 30 days: a new spell, a new entry; the opener's turn comes too.
    profiles.idle!.session = {
      startedAt: t.clock.now(),
      lastActivityAt: t.clock.now(),
      events: 1,
      views: [],
    };
    await t.advance(29 * DAY);
    expect(t.sent.map((s) => s.person)).toEqual(["idle", "fresh", "opener"]);
    await t.advance(DAY + MIN);
    expect(t.sent.map((s) => s.person)).toEqual(["idle", "fresh", "opener", "idle"]);
  });

  it("a birthday fires at 09:00 in the person's zone, once; a renewal date once, offset", async () => {
    const profiles: Record<string, Partial<Profile>> = {
      ny: { traits: { birthday: "1990-01-06", timezone: "America/New_York" } },
      utc: { traits: { birthday: "2000-01-06T00:00:00Z", renewal: "2026-01-08" } },
      none: { traits: { birthday: "soon" } },
    };
    const t = setup(profiles);
    await t.engine.save("bday", sendOnly("Birthday", { type: "date", trait: "birthday" }, "bday"));
    await t.engine.save(
      "renew",
      sendOnly(
        "Renewal",
        { type: "date", trait: "renewal", recurring: false, offsetDays: -3, at: "10:00" },
        "renew",
      ),
    );
    const got = () => t.sent.map((s) => `${s.person}:${s.template}`);
    // T0 is Jan 5 11:00 UTC: three days before the renewal, 10:00, has just passed (within grace).
    await t.advance(MIN);
    expect(got()).toEqual(["utc:renew"]);
    await t.advance(22 * 60 * MIN - 2 * MIN); // Jan 6 08:59 UTC
    expect(got()).toEqual(["utc:renew"]);
    await t.advance(MIN); // 09:00 UTC
    expect(got()).toEqual(["utc:renew"]);
    await t.advance(5 * MIN); // the next sweep: the UTC person's 09:00 has come
    expect(got()).toEqual(["utc:renew", "utc:bday"]);
    await t.advance(5 * 60 * MIN - 10 * MIN); // 13:55 UTC = 08:55 in New York
    expect(got()).toEqual(["utc:renew", "utc:bday"]);
    await t.advance(5 * MIN); // 14:00 UTC = 09:00 in New York
    expect(got()).toEqual(["utc:renew", "utc:bday", "ny:bday"]);
    await t.advance(10 * MIN);
    await t.advance(DAY);
    expect(got()).toEqual(["utc:renew", "utc:bday", "ny:bday"]);
  });
});

describe("flow definitions", () => {
  it("every built-in is a valid definition", () => {
    for (const name of BUILTIN_NAMES) expect(builtin(name)!.definition.steps.length).toBeGreaterThan(0);
    expect(builtin("__proto__")).toBeNull();
  });

  it("refuse loops with no wait, sending loops with no cap, and unknown steps, with paths", () => {
    const loop = definitionSchema.safeParse({
      name: "Loop",
      trigger: { type: "event", name: "x" },
      start: "a",
      steps: [
        { id: "a", type: "send", template: "t", next: "b" },
        { id: "b", type: "branch", branches: [{ when: { random: 50 }, next: "a" }], otherwise: "a" },
      ],
    });
    expect(loop.success).toBe(false);
    expect(loop.error!.issues[0]!.message).toMatch(/loop with no wait/);
    const uncapped = definitionSchema.safeParse({
      name: "Loop",
      trigger: { type: "event", name: "x" },
      start: "a",
      steps: [
        { id: "a", type: "send", template: "t", next: "w" },
        { id: "w", type: "wait", duration: { days: 1 }, next: "a" },
      ],
    });
    expect(uncapped.error!.issues[0]!.path).toEqual(["maxSendsPerDay"]);
    const unknown = definitionSchema.safeParse({
      name: "x",
      trigger: { type: "event", name: "x" },
      start: "a",
      steps: [{ id: "a", type: "wait", duration: { days: 1 }, next: "zz" }],
    });
    expect(unknown.error!.issues[0]).toMatchObject({
      path: ["steps", 0],
      message: "step a leads to unknown step zz",
    });
  });
});
