import { z } from "zod";
import { CHANNELS } from "../ports/messaging.js";
import { type Condition, conditionSchema, WEEKDAYS } from "../rules/conditions.js";

/**
 * A flow definition: a trigger, a graph of steps with ids (branches may join), a goal.
 * Conditions everywhere are the `when` language of block variants (rules/conditions.ts),
 * with its `event` leaf for the trigger's properties. Sizes are bounded: a definition is
 * operator input and its graph is walked at every step of every run.
 */

export const MAX_STEPS = 100;
const MAX_DAYS = 366;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const flowId = z.string().regex(ID_RE, "letters, digits, _ and -, up to 64, not starting with _ or -");
const stepId = z.string().regex(ID_RE, "a step id: letters, digits, _ and -, up to 64");
const eventName = z.string().min(1).max(200);

export interface Duration {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
}

/** A duration: any of days/hours/minutes/seconds, summed; at most a year. */
export const durationSchema: z.ZodType<Duration, z.ZodTypeDef, unknown> = z
  .object({
    days: z.number().min(0).max(MAX_DAYS).optional(),
    hours: z
      .number()
      .min(0)
      .max(MAX_DAYS * 24)
      .optional(),
    minutes: z
      .number()
      .min(0)
      .max(MAX_DAYS * 24 * 60)
      .optional(),
    seconds: z
      .number()
      .min(0)
      .max(MAX_DAYS * 86_400)
      .optional(),
  })
  .strict()
  .refine((d) => Object.keys(d).length > 0, "give days, hours, minutes or seconds")
  .refine((d) => durationMs(d) <= MAX_DAYS * 86_400_000, "at most a year");

export function durationMs(d: Duration): number {
  return Math.round(
    ((d.days ?? 0) * 86_400 + (d.hours ?? 0) * 3_600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0)) * 1000,
  );
}

export const ESP_EVENTS = ["bounce", "complaint", "unsubscribe", "delivered", "open", "click"] as const;
export const WATCH_KINDS = ["viewed", "carted", "wishlisted"] as const;

const triggerSchema = z.discriminatedUnion("type", [
  /** A Segment event by name (track: the event name; identify/page/…: the call's type). */
  z.object({ type: z.literal("event"), name: eventName, where: conditionSchema.optional() }).strict(),
  /** A profile condition becoming true (checked at each of the person's events). */
  z.object({ type: z.literal("condition"), when: conditionSchema }).strict(),
  /** An open or click of opentime's own URLs; humans only unless `machines`. */
  z
    .object({
      type: z.enum(["open", "click"]),
      campaign: z.string().min(1).max(200).optional(),
      /** A block id or link id, as the open/click carries it. */
      linkId: z.string().min(1).max(200).optional(),
      machines: z.boolean().default(false),
    })
    .strict(),
  /** An ESP event from the webhooks. */
  z
    .object({ type: z.literal("email"), events: z.array(z.enum(ESP_EVENTS)).min(1).max(ESP_EVENTS.length) })
    .strict(),
  /** A catalog change of a product the person viewed, carted or wishlisted (within `withinDays`). */
  z
    .object({
      type: z.literal("catalog"),
      change: z.enum(["price_drop", "back_in_stock"]),
      minPercent: z.number().min(0).max(100).optional(),
      minAmount: z.number().min(0).optional(),
      of: z.array(z.enum(WATCH_KINDS)).min(1).max(3).default(["viewed", "carted", "wishlisted"]),
      withinDays: z.number().int().min(1).max(365).default(30),
    })
    .strict(),
  /** No human open, no human click and no visit for `days`: once per such spell (found by the sweep). */
  z.object({ type: z.literal("inactivity"), days: z.number().int().min(1).max(MAX_DAYS) }).strict(),
  /**
   * A date trait (`YYYY-MM-DD…` or Unix ms): its anniversary, or the date itself when not
   * `recurring`, moved by `offsetDays`, at `at` local time in the person's zone (found by the sweep).
   */
  z
    .object({
      type: z.literal("date"),
      trait: z.string().min(1).max(64),
      offsetDays: z.number().int().min(-MAX_DAYS).max(MAX_DAYS).default(0),
      at: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a local time HH:MM")
        .default("09:00"),
      recurring: z.boolean().default(true),
    })
    .strict(),
]);
export type Trigger = z.infer<typeof triggerSchema>;

const next = stepId;
const base = { id: stepId };
const stepSchema = z.discriminatedUnion("type", [
  z.object({ ...base, type: z.literal("wait"), duration: durationSchema, next }).strict(),
  /** Until the next local time (hour:minute, optionally on given weekdays) in the person's zone. */
  z
    .object({
      ...base,
      type: z.literal("wait_until"),
      hour: z.number().int().min(0).max(23),
      minute: z.number().int().min(0).max(59).default(0),
      weekdays: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional(),
      next,
    })
    .strict(),
  /** Until the person's most likely hour to open (the Messenger's send-time choice). */
  z.object({ ...base, type: z.literal("wait_best_hour"), next }).strict(),
  /**
   * Until an event of the person (a Segment event name, or `$open` / `$click` for a human
   * open or click of this run's own emails), or the timeout: one branch or the other.
   */
  z
    .object({
      ...base,
      type: z.literal("wait_for"),
      event: eventName,
      where: conditionSchema.optional(),
      timeout: durationSchema,
      next,
      timeoutNext: next,
    })
    .strict(),
  /** The first branch whose `when` holds, else `otherwise`. */
  z
    .object({
      ...base,
      type: z.literal("branch"),
      branches: z
        .array(z.object({ when: conditionSchema, next }).strict())
        .min(1)
        .max(16),
      otherwise: next,
    })
    .strict(),
  /** By weight, stable per person (an A/B test). */
  z
    .object({
      ...base,
      type: z.literal("split"),
      arms: z
        .array(z.object({ weight: z.number().min(0).max(1000), next }).strict())
        .min(2)
        .max(16)
        .refine((a) => a.some((x) => x.weight > 0), "at least one arm needs a weight above 0"),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal("send"),
      template: z.string().min(1).max(128),
      channels: z
        .union([z.literal("auto"), z.array(z.enum(CHANNELS)).min(1).max(CHANNELS.length)])
        .default(["email"]),
      priority: z.number().int().min(0).max(100).optional(),
      /** Skip rather than send later than this after the step is reached (quiet hours, caps). */
      deadline: durationSchema.optional(),
      next: next.optional(),
    })
    .strict(),
  /** Sets profile traits (an identify on the person's behalf); `tags` adds to the `tags` trait. */
  z
    .object({
      ...base,
      type: z.literal("update"),
      traits: z.record(z.string().max(64), z.unknown()).optional(),
      tags: z.array(z.string().min(1).max(64)).max(20).optional(),
      next: next.optional(),
    })
    .strict(),
  /**
   * Calls the outgoing webhook (OPENTIME_WEBHOOK_URL, signed per Standard Webhooks, retried by
   * sending's outbox) with the template rendered for the person: a send on the webhook channel.
   */
  z
    .object({
      ...base,
      type: z.literal("webhook"),
      template: z.string().min(1).max(128),
      next: next.optional(),
    })
    .strict(),
  z.object({ ...base, type: z.literal("exit") }).strict(),
]);
export type Step = z.infer<typeof stepSchema>;
export type StepType = Step["type"];

const reentrySchema = z.union([
  z.literal("once"),
  z.literal("always"),
  z.object({ everyDays: z.number().int().min(1).max(3650) }).strict(),
]);

export const definitionBody = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    trigger: triggerSchema,
    /** Who may enter again: once ever, at most once per N days, or always (default). */
    reentry: reentrySchema.default("always"),
    /** Runs of this flow a person may have at once. */
    maxConcurrent: z.number().int().min(1).max(10).default(1),
    /** Ends a run at once when met, even mid-wait: an event of the person, or a condition. */
    goal: z
      .object({
        event: eventName.optional(),
        where: conditionSchema.optional(),
        when: conditionSchema.optional(),
      })
      .strict()
      .refine((g) => g.event !== undefined || g.when !== undefined, "give a goal event or a goal condition")
      .optional(),
    /** Sends of this flow a person may get per rolling day (a cap of the flow's own). */
    maxSendsPerDay: z.number().int().min(1).max(100).optional(),
    /** Default priority of the flow's sends (0–100). */
    priority: z.number().int().min(0).max(100).default(50),
    /** Order Completed within this many hours of a send or its click counts as a conversion. */
    conversionHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(72),
    /** Data the templates read as `flow`. */
    data: z.record(z.string().max(64), z.unknown()).optional(),
    start: stepId,
    steps: z.array(stepSchema).min(1).max(MAX_STEPS),
  })
  .strict();

export type FlowDefinition = z.infer<typeof definitionBody>;

/** The schema with the graph checked: ids unique, every `next` known, no send loop without a wait. */
export const definitionSchema = definitionBody.superRefine((d, ctx) => {
  for (const issue of graphIssues(d)) ctx.addIssue({ code: "custom", ...issue });
});

export function nextsOf(s: Step): string[] {
  switch (s.type) {
    case "wait_for":
      return [s.next, s.timeoutNext];
    case "branch":
      return [...s.branches.map((b) => b.next), s.otherwise];
    case "split":
      return s.arms.map((a) => a.next);
    case "exit":
      return [];
    default:
      return s.next ? [s.next] : [];
  }
}

/** A step that holds a run for a while: a cycle through one cannot spin. */
export function waits(s: Step): boolean {
  return s.type === "wait" || s.type === "wait_until" || s.type === "wait_best_hour" || s.type === "wait_for";
}

function graphIssues(d: FlowDefinition): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const index = new Map<string, number>();
  d.steps.forEach((s, i) => {
    if (index.has(s.id)) issues.push({ path: ["steps", i, "id"], message: `step id ${s.id} is used twice` });
    else index.set(s.id, i);
  });
  if (!index.has(d.start)) issues.push({ path: ["start"], message: `no step ${d.start}` });
  d.steps.forEach((s, i) => {
    for (const n of nextsOf(s))
      if (!index.has(n))
        issues.push({ path: ["steps", i], message: `step ${s.id} leads to unknown step ${n}` });
  });
  if (issues.length) return issues;
  // A cycle made only of steps that do not wait would run (and send) without end; one with a
  // wait sends at most once per wait, and the flow's daily cap bounds it further.
  const cycle = cycleWithoutWait(d.steps, index);
  if (cycle)
    issues.push({
      path: ["steps"],
      message: `steps ${cycle.join(" → ")} form a loop with no wait: it could run and send without end`,
    });
  // A loop through a wait that sends still needs a cap: refuse unless maxSendsPerDay bounds it.
  else if (d.maxSendsPerDay === undefined && sendingCycle(d.steps, index))
    issues.push({
      path: ["maxSendsPerDay"],
      message: "the steps loop through a send: set maxSendsPerDay so the loop cannot send without bound",
    });
  return issues;
}

/** A cycle through non-waiting steps only, as the ids along it; null when none. */
function cycleWithoutWait(steps: Step[], index: Map<string, number>): string[] | null {
  const state = new Uint8Array(steps.length); // 0 new, 1 on the path, 2 done
  const path: string[] = [];
  const visit = (i: number): string[] | null => {
    state[i] = 1;
    path.push(steps[i]!.id);
    for (const n of nextsOf(steps[i]!)) {
      const j = index.get(n)!;
      if (waits(steps[j]!)) continue;
      if (state[j] === 1) return [...path.slice(path.indexOf(n)), n];
      if (state[j] === 0) {
        const c = visit(j);
        if (c) return c;
      }
    }
    path.pop();
    state[i] = 2;
    return null;
  };
  for (let i = 0; i < steps.length; i++) {
    if (state[i] !== 0 || waits(steps[i]!)) continue;
    const c = visit(i);
    if (c) return c;
  }
  return null;
}

/** Whether some send step can reach itself again. */
function sendingCycle(steps: Step[], index: Map<string, number>): boolean {
  for (const s of steps) {
    if (s.type !== "send") continue;
    const seen = new Set<string>();
    const todo = [...nextsOf(s)];
    while (todo.length) {
      const id = todo.pop()!;
      if (id === s.id) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      todo.push(...nextsOf(steps[index.get(id)!]!));
    }
  }
  return false;
}

export type { Condition };
