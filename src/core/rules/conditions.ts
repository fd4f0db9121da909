import { z } from "zod";
import { WEATHER_CONDITIONS, type WeatherCondition } from "../ports/weather.js";
import { parseDate, parseInstant } from "../util/dates.js";

/**
 * The `when` of a block variant: a small JSON condition language. Each node is an object
 * with exactly ONE key naming what it tests, so rules read like what they mean:
 *
 *   { "all": [ { "device": "outlook" }, { "time": { "hours": { "from": 9, "to": 17 } } } ] }
 *
 * Sizes are bounded (children per combinator, nesting depth, nodes per condition): a rule
 * runs on every open of its block, and its schema must not recurse without end on input
 * a client controls.
 */

/** Children of one all/any. */
export const MAX_CHILDREN = 16;
/** Combinators nested inside each other (a leaf under 4 levels of all/any/not is fine). */
export const MAX_DEPTH = 4;
/** Nodes in one condition, leaves and combinators together. */
export const MAX_NODES = 64;

export const DEVICES = [
  "ios",
  "android",
  "mobile",
  "desktop",
  "outlook",
  "gmail_proxy",
  "apple_mpp",
  "yahoo_proxy",
] as const;
export type Device = (typeof DEVICES)[number];

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const ENGAGEMENT_TIERS = ["high", "medium", "low"] as const;
export { WEATHER_CONDITIONS };

type OneOrMany<T> = T | T[];

export interface TimeCondition {
  /** ISO instant with an offset (inclusive), or a YYYY-MM-DD date in the zone (inclusive). */
  from?: string;
  /** ISO instant with an offset (exclusive), or a YYYY-MM-DD date in the zone (inclusive). */
  until?: string;
  weekdays?: Weekday[];
  /** Local hours [from, to); wraps past midnight when from > to (22 → 6). */
  hours?: { from: number; to: number };
  /** IANA zone; else the profile's traits.timezone; else UTC. */
  timeZone?: string;
}

export type Scalar = string | number | boolean;

export interface TraitCondition {
  /** A trait name, or a dotted path into nested traits (address.country). */
  name: string;
  equals?: Scalar;
  in?: Scalar[];
  exists?: boolean;
  gt?: number;
  lt?: number;
}

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { time: TimeCondition }
  | { device: OneOrMany<Device> }
  | { trait: TraitCondition }
  | { engagement: OneOrMany<(typeof ENGAGEMENT_TIERS)[number]> }
  | { intent: { atLeast: number } }
  | { propensity: ScoreRange }
  | { churnRisk: ScoreRange }
  | { purchased: boolean }
  | { cart: "empty" | "not_empty" }
  | { segment: string }
  | { weather: OneOrMany<WeatherCondition> }
  | { data: DataCondition }
  | { ltv: RangeCondition & { currency?: string } }
  | { cartValue: RangeCondition }
  | { random: number }
  /** Flows: a property of the event that triggered the run (or is being waited for); false elsewhere. */
  | { event: TraitCondition };

/** A value in the block's data source (data blocks): the tests of `trait`, on a path. */
export interface DataCondition {
  /** A dotted path into the source's value (quote.change, 0.status). */
  path: string;
  equals?: Scalar;
  in?: Scalar[];
  exists?: boolean;
  gt?: number;
  lt?: number;
}

export interface RangeCondition {
  gt?: number;
  lt?: number;
}

/** Leaf kinds that need the recipient's profile (looked up only when one is evaluated). */
export const PROFILE_KEYS = [
  "trait",
  "engagement",
  "intent",
  "propensity",
  "churnRisk",
  "purchased",
  "cart",
  "segment",
  "ltv",
  "cartValue",
] as const;

/** A predictive score (0..1) at least `atLeast` and/or below `below`. */
export interface ScoreRange {
  atLeast?: number;
  below?: number;
}
const scoreRange = z
  .object({ atLeast: z.number().min(0).max(1).optional(), below: z.number().min(0).max(1).optional() })
  .strict()
  .refine((r) => r.atLeast !== undefined || r.below !== undefined, "give atLeast and/or below");

const oneOrMany = <T extends [string, ...string[]]>(values: T) =>
  z.union([z.enum(values), z.array(z.enum(values)).min(1).max(values.length)]);

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;
export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
// A bare local date-time would need a zone to mean anything: refused, like countdown deadlines.
const bound = z
  .string()
  .max(40)
  .superRefine((s, ctx) => {
    const r = DATE_RE.test(s) ? parseDate(s) : parseInstant(s);
    if (r.ok) return;
    ctx.addIssue({
      code: "custom",
      message: r.format
        ? "use an ISO instant with an offset (2026-12-24T18:00:00+01:00) or a date (2026-12-24)"
        : r.issue,
    });
  });

const timeSchema = z
  .object({
    from: bound.optional(),
    until: bound.optional(),
    weekdays: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional(),
    hours: z
      .object({ from: z.number().int().min(0).max(23), to: z.number().int().min(1).max(24) })
      .strict()
      .refine((h) => h.from !== h.to, "hours.from and hours.to must differ")
      .optional(),
    timeZone: z.string().max(64).refine(isTimeZone, "unknown IANA time zone").optional(),
  })
  .strict()
  .refine(
    (t) => t.from !== undefined || t.until !== undefined || t.weekdays !== undefined || t.hours !== undefined,
    "give at least one of from, until, weekdays, hours",
  );

const scalar = z.union([z.string().max(200), z.number().finite(), z.boolean()]);
const TRAIT_PATH_RE = /^[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}){0,3}$/;

const traitSchema = z
  .object({
    name: z.string().regex(TRAIT_PATH_RE, "a trait name or a dotted path of up to 4 names"),
    equals: scalar.optional(),
    in: z.array(scalar).min(1).max(50).optional(),
    exists: z.boolean().optional(),
    gt: z.number().finite().optional(),
    lt: z.number().finite().optional(),
  })
  .strict()
  .refine(oneTest, "give one of equals, in, exists, or gt and/or lt");

function oneTest(t: {
  equals?: unknown;
  in?: unknown;
  exists?: unknown;
  gt?: unknown;
  lt?: unknown;
}): boolean {
  const ops = ["equals", "in", "exists", "gt", "lt"].filter((k) => t[k as keyof typeof t] !== undefined);
  if (ops.length === 0) return false;
  // gt and lt combine into a range; equals, in and exists each stand alone.
  return ops.length === 1 || ops.every((k) => k === "gt" || k === "lt");
}

const dataSchema = z
  .object({
    path: z
      .string()
      .regex(/^[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}){0,7}$/, "a dotted path (quote.change, 0.status)"),
    equals: scalar.optional(),
    in: z.array(scalar).min(1).max(50).optional(),
    exists: z.boolean().optional(),
    gt: z.number().finite().optional(),
    lt: z.number().finite().optional(),
  })
  .strict()
  .refine(oneTest, "give one of equals, in, exists, or gt and/or lt");

const range = {
  gt: z.number().finite().optional(),
  lt: z.number().finite().optional(),
};
const hasBound = (r: { gt?: number; lt?: number }) => r.gt !== undefined || r.lt !== undefined;

const LEAVES = {
  time: timeSchema,
  device: oneOrMany([...DEVICES]),
  trait: traitSchema,
  engagement: oneOrMany([...ENGAGEMENT_TIERS]),
  intent: z.object({ atLeast: z.number().min(0).max(1) }).strict(),
  propensity: scoreRange,
  churnRisk: scoreRange,
  purchased: z.boolean(),
  cart: z.enum(["empty", "not_empty"]),
  segment: z.string().min(1).max(128),
  weather: oneOrMany([...WEATHER_CONDITIONS]),
  data: dataSchema,
  ltv: z
    .object({
      ...range,
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/, "an ISO 4217 code")
        .optional(),
    })
    .strict()
    .refine(hasBound, "give gt and/or lt"),
  cartValue: z.object(range).strict().refine(hasBound, "give gt and/or lt"),
  random: z.number().min(0).max(100),
  event: traitSchema,
};
const LEAF_KEYS = Object.keys(LEAVES);

function exactlyOne(o: object): boolean {
  return Object.keys(o).length === 1;
}

/**
 * The node schema at each depth, built bottom-up without z.lazy: the deepest level simply has
 * no combinators, so nesting beyond MAX_DEPTH is a plain validation error and parsing can
 * never recurse deeper than the bound, whatever the body holds.
 */
function levels(): z.ZodTypeAny {
  const leafOnly = z
    .object(LEAVES)
    .partial()
    .strict(`use one of ${LEAF_KEYS.join(", ")} (all/any/not nest at most ${MAX_DEPTH} deep)`)
    .refine(exactlyOne, `a condition has exactly one key: ${LEAF_KEYS.join(", ")}`);
  let node: z.ZodTypeAny = leafOnly;
  for (let d = 0; d < MAX_DEPTH; d++) {
    const child = node;
    node = z
      .object({
        all: z.array(child).min(1).max(MAX_CHILDREN),
        any: z.array(child).min(1).max(MAX_CHILDREN),
        not: child,
        ...LEAVES,
      })
      .partial()
      .strict()
      .refine(exactlyOne, `a condition has exactly one key: all, any, not, ${LEAF_KEYS.join(", ")}`);
  }
  return node;
}

export function countNodes(c: Condition): number {
  if ("all" in c) return 1 + c.all.reduce((n, x) => n + countNodes(x), 0);
  if ("any" in c) return 1 + c.any.reduce((n, x) => n + countNodes(x), 0);
  if ("not" in c) return 1 + countNodes(c.not);
  return 1;
}

export const conditionSchema = levels().superRefine((c, ctx) => {
  if (countNodes(c as Condition) > MAX_NODES)
    ctx.addIssue({ code: "custom", message: `a condition has at most ${MAX_NODES} nodes` });
}) as unknown as z.ZodType<Condition, z.ZodTypeDef, unknown>;
