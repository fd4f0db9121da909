import { valueAt } from "../live/paths.js";
import type { Profile } from "../ports/profiles.js";
import type { WeatherCondition } from "../ports/weather.js";
import { engagementAt, intentAt } from "../profiles/view.js";
import {
  type Condition,
  DATE_RE,
  type Device,
  isTimeZone,
  type RangeCondition,
  type Scalar,
  type TimeCondition,
  type TraitCondition,
} from "./conditions.js";
import { localTime } from "./local-time.js";

const valueMatches = (t: Omit<TraitCondition, "name">, v: unknown) => traitMatches(t, v);

/**
 * What a condition may ask about one open. Everything costly is a lazy call, memoised by
 * the caller: the profile is read, and the weather fetched, only when a condition that
 * needs it is actually evaluated.
 */
export interface Facts {
  /** The instant the open is evaluated for (ms). */
  now: number;
  devices(): ReadonlySet<Device>;
  profile(): Promise<Profile | null>;
  weather(): Promise<WeatherCondition | null>;
  /** The block's data source value (data blocks); null without one or when it never answered. */
  data?(): Promise<unknown>;
  /** The person's predictive scores (absent or null: score conditions are false). */
  scores?(): Promise<{ propensity: number; churnRisk: number } | null>;
  /** [0, 1): stable per recipient for this block and `salt`, random per open without one. */
  bucket(salt: string): number;
  /** Flows: the properties of the event in question; absent (block opens): `event` leaves are false. */
  event?(): Readonly<Record<string, unknown>> | null;
}

type Result = boolean | Promise<boolean>;
export type Test = (f: Facts) => Result;

/** 0: answered from the request; 1: reads the profile; 2: fetches the weather or a source. */
type Cost = 0 | 1 | 2;
interface Compiled {
  test: Test;
  cost: Cost;
}

/** Compiles a validated condition once (per block version) into a test run at each open. */
export function compileCondition(c: Condition): Test {
  return compile(c).test;
}

function compile(c: Condition): Compiled {
  if ("all" in c) return combine(c.all.map(compile), true);
  if ("any" in c) return combine(c.any.map(compile), false);
  if ("not" in c) {
    const inner = compile(c.not);
    return { cost: inner.cost, test: (f) => then(inner.test(f), (v) => !v) };
  }
  if ("time" in c) return timeTest(c.time);
  if ("device" in c) {
    const wanted = list(c.device);
    return { cost: 0, test: (f) => wanted.some((d) => f.devices().has(d)) };
  }
  if ("weather" in c) {
    const wanted: readonly WeatherCondition[] = list(c.weather);
    return { cost: 2, test: (f) => f.weather().then((w) => w !== null && wanted.includes(w)) };
  }
  if ("data" in c) {
    const d = c.data;
    return {
      cost: 2,
      // A source that never answered makes every data test false (exists: false true).
      test: (f) =>
        (f.data ? f.data() : Promise.resolve(null)).then((v) => valueMatches(d, valueAt(v, d.path))),
    };
  }
  if ("random" in c) {
    // One bucket per block and person for every random condition of the block: 20% is then
    // a subset of 50%, so widening a rollout keeps everyone who already had it.
    const pct = c.random;
    return { cost: 0, test: (f) => f.bucket("random") * 100 < pct };
  }
  if ("event" in c) {
    const t = c.event;
    const path = t.name.split(".");
    return {
      cost: 0,
      test: (f) => {
        const props = f.event?.();
        return props ? traitMatches(t, traitAt(props as Record<string, unknown>, path)) : false;
      },
    };
  }
  return { cost: 1, test: profileTest(c) };
}

/**
 * all/any: cheap children first (request facts before a profile read before a weather
 * fetch), stopping at the first child that decides; synchronous as long as nothing awaited.
 */
function combine(children: Compiled[], all: boolean): Compiled {
  const sorted = [...children].sort((a, b) => a.cost - b.cost);
  const tests = sorted.map((x) => x.test);
  const run = (f: Facts, from: number): Result => {
    for (let i = from; i < tests.length; i++) {
      const r = tests[i]!(f);
      if (typeof r !== "boolean") return r.then((v) => (v === all ? run(f, i + 1) : !all));
      if (r !== all) return !all;
    }
    return all;
  };
  const cost = Math.max(0, ...sorted.map((x) => x.cost)) as Cost;
  return { cost, test: (f) => run(f, 0) };
}

function then(r: Result, fn: (v: boolean) => boolean): Result {
  return typeof r === "boolean" ? fn(r) : r.then(fn);
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

// --- time -----------------------------------------------------------------------------

function timeTest(t: TimeCondition): Compiled {
  const fromInstant = t.from && !DATE_RE.test(t.from) ? Date.parse(t.from) : null;
  const untilInstant = t.until && !DATE_RE.test(t.until) ? Date.parse(t.until) : null;
  const fromDate = t.from && DATE_RE.test(t.from) ? t.from : null;
  const untilDate = t.until && DATE_RE.test(t.until) ? t.until : null;
  const local = fromDate !== null || untilDate !== null || t.weekdays !== undefined || t.hours !== undefined;

  const check = (now: number, zone: string): boolean => {
    if (fromInstant !== null && now < fromInstant) return false;
    if (untilInstant !== null && now >= untilInstant) return false;
    if (!local) return true;
    const lt = localTime(now, zone);
    if (fromDate !== null && lt.date < fromDate) return false;
    if (untilDate !== null && lt.date > untilDate) return false;
    if (t.weekdays && !t.weekdays.includes(lt.weekday)) return false;
    if (t.hours) {
      const { from, to } = t.hours;
      const inside = from < to ? lt.hour >= from && lt.hour < to : lt.hour >= from || lt.hour < to;
      if (!inside) return false;
    }
    return true;
  };

  // The zone matters only for local parts; without one in the rule, the recipient's own.
  if (!local || t.timeZone) {
    const zone = t.timeZone ?? "UTC";
    return { cost: 0, test: (f) => check(f.now, zone) };
  }
  return { cost: 1, test: (f) => f.profile().then((p) => check(f.now, profileZone(p))) };
}

// Zone names seen in profiles and whether Intl knows them; bounded like the formatters.
const MAX_ZONES = 256;
const knownZones = new Map<string, boolean>();

export function profileZone(p: Profile | null): string {
  const tz = p?.traits.timezone;
  if (typeof tz !== "string" || tz.length === 0 || tz.length > 64) return "UTC";
  let ok = knownZones.get(tz);
  if (ok === undefined) {
    ok = isTimeZone(tz);
    if (knownZones.size >= MAX_ZONES) knownZones.clear();
    knownZones.set(tz, ok);
  }
  return ok ? tz : "UTC";
}

// --- profile ---------------------------------------------------------------------------

/** Profile leaves: without a profile (no `u`, nobody known by it) they are false. */
function profileTest(c: Condition): Test {
  const on = (fn: (p: Profile, now: number) => boolean): Test => {
    return (f) => f.profile().then((p) => (p ? fn(p, f.now) : false));
  };
  if ("trait" in c) {
    const t = c.trait;
    const path = t.name.split(".");
    return on((p) => traitMatches(t, traitAt(p.traits, path)));
  }
  if ("engagement" in c) {
    const tiers: string[] = list(c.engagement);
    return on((p, now) => tiers.includes(engagementAt(p, now).tier));
  }
  if ("propensity" in c || "churnRisk" in c) {
    const name = "propensity" in c ? "propensity" : "churnRisk";
    const r = "propensity" in c ? c.propensity : c.churnRisk;
    return (f) =>
      f.scores
        ? f
            .scores()
            .then(
              (s) =>
                s !== null &&
                (r.atLeast === undefined || s[name] >= r.atLeast) &&
                (r.below === undefined || s[name] < r.below),
            )
        : false;
  }
  if ("intent" in c) {
    const min = c.intent.atLeast;
    return on((p, now) => intentAt(p, now) >= min);
  }
  if ("purchased" in c) {
    const want = c.purchased;
    return on((p) => p.purchases.count > 0 === want);
  }
  if ("cart" in c) {
    const want = c.cart === "not_empty";
    return on((p) => (p.cart?.items.length ?? 0) > 0 === want);
  }
  if ("segment" in c) {
    const seg = c.segment;
    return on((p) => inSegment(p, seg));
  }
  if ("ltv" in c) {
    const r = c.ltv;
    return on((p) => inRange(r, lifetimeValue(p, r.currency)));
  }
  if ("cartValue" in c) {
    const r = c.cartValue;
    return on((p) => inRange(r, cartValue(p)));
  }
  throw new Error(`unknown condition: ${Object.keys(c).join(",")}`);
}

/** Own properties only: a path like `__proto__.x` must not reach Object.prototype. */
function traitAt(traits: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = traits;
  for (const k of path) {
    if (v === null || typeof v !== "object" || Array.isArray(v) || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** Lifetime value in one currency, or summed over all of them. */
export function lifetimeValue(p: Profile, currency?: string): number {
  const ltv = p.purchases.ltv;
  if (currency) return Object.hasOwn(ltv, currency) ? (ltv[currency] ?? 0) : 0;
  return Object.values(ltv).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
}

/** What the cart holds: price times quantity over its items (unpriced items count 0). */
export function cartValue(p: Profile): number {
  return (p.cart?.items ?? []).reduce((a, i) => a + (i.price ?? 0) * i.quantity, 0);
}

function inRange(r: RangeCondition, n: number): boolean {
  if (r.gt !== undefined && !(n > r.gt)) return false;
  if (r.lt !== undefined && !(n < r.lt)) return false;
  return true;
}

function traitMatches(t: Omit<TraitCondition, "name">, v: unknown): boolean {
  if (t.exists !== undefined) return (v !== undefined && v !== null) === t.exists;
  if (t.equals !== undefined) return v === t.equals;
  if (t.in !== undefined) return t.in.includes(v as Scalar);
  // gt / lt: numbers, or numeric strings (traits often arrive as strings from forms).
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) return false;
  if (t.gt !== undefined && !(n > t.gt)) return false;
  if (t.lt !== undefined && !(n < t.lt)) return false;
  return true;
}

/**
 * A segment is a group the person belongs to (Segment `group` calls), or a name listed in
 * the `segments` trait (an array, or one string), as ESPs and CDPs export audiences.
 */
function inSegment(p: Profile, seg: string): boolean {
  if (Object.hasOwn(p.groups, seg)) return true;
  const s = p.traits.segments;
  if (Array.isArray(s)) return s.includes(seg);
  return s === seg;
}
