/**
 * Thompson sampling over named arms: a reusable chooser (variants of a split today,
 * recommendation strategy mixes later). Pure functions of the arms' counts and a uniform
 * random source, so the open path pays a few samples per arm and nothing else.
 *
 * Rewards per impression:
 * - clicks / orders: Bernoulli, posterior Beta(1 + successes, 1 + failures).
 * - revenue: orders per impression (Beta as above) times the mean order value, whose
 *   posterior is that of an exponential mean with a Gamma prior (one pseudo-order at the
 *   mean of all arms): sampled as (priorSum + revenue) / Gamma(1 + orders, 1).
 */

export type Goal = "clicks" | "orders" | "revenue";
export const GOALS = ["clicks", "orders", "revenue"] as const satisfies readonly Goal[];

export interface ArmCounts {
  name: string;
  /** Human impressions (the denominator of every rate). */
  impressions: number;
  clicks: number;
  orders: number;
  /** Revenue in the arm's goal currency. */
  revenue: number;
}

export interface BanditSettings {
  optimize: Goal;
  /** Share of traffic spread evenly over all arms whatever the posterior says (0–0.5). */
  explore: number;
  /** Every arm is shown by its fixed weight until each has this many impressions. */
  minSample: number;
}

/** A uniform number in [0, 1). */
export type Uniform = () => number;

/** A small fast seeded generator (mulberry32): the open path must not call crypto per sample. */
export function seededUniform(seed: number): Uniform {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: Uniform): number {
  // Box–Muller; 1 - u() keeps the log's argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 boosted by U^(1/shape)). */
export function sampleGamma(shape: number, u: Uniform): number {
  if (shape < 1) return sampleGamma(shape + 1, u) * (1 - u()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = 1 - u();
    if (w < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function sampleBeta(a: number, b: number, u: Uniform): number {
  const x = sampleGamma(a, u);
  const y = sampleGamma(b, u);
  return x / (x + y);
}

const successes = (a: ArmCounts, goal: Goal) => (goal === "clicks" ? a.clicks : a.orders);

/** The prior order value for the revenue posterior: the mean over all arms (1 without orders). */
function priorOrderValue(arms: readonly ArmCounts[]): number {
  let orders = 0;
  let revenue = 0;
  for (const a of arms) {
    orders += a.orders;
    revenue += a.revenue;
  }
  return orders > 0 && revenue > 0 ? revenue / orders : 1;
}

/** One draw of an arm's expected reward per impression. */
function draw(a: ArmCounts, goal: Goal, prior: number, u: Uniform): number {
  const n = Math.max(0, a.impressions);
  const s = Math.min(Math.max(0, successes(a, goal)), n);
  const rate = sampleBeta(1 + s, 1 + n - s, u);
  if (goal !== "revenue") return rate;
  const orders = Math.max(0, a.orders);
  return rate * ((prior + Math.max(0, a.revenue)) / sampleGamma(1 + orders, u));
}

/**
 * The arm for one impression, by index into `arms` (weights: the fixed split, used until
 * the minimum sample is reached). Returns -1 only for an empty list.
 */
export function chooseArm(
  arms: readonly ArmCounts[],
  weights: readonly number[],
  s: BanditSettings,
  u: Uniform,
): number {
  const k = arms.length;
  if (k <= 1) return k - 1;
  if (arms.some((a) => a.impressions < s.minSample)) return byWeight(weights, u());
  // The exploration floor: this share is spread evenly, so no arm's share drops under explore / k.
  if (u() < s.explore) return Math.floor(u() * k);
  const prior = s.optimize === "revenue" ? priorOrderValue(arms) : 1;
  let best = 0;
  let bestValue = -1;
  for (let i = 0; i < k; i++) {
    const v = draw(arms[i]!, s.optimize, prior, u);
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** The index whose share of the total weight holds `x` in [0, 1) (even shares without weight). */
export function byWeight(weights: readonly number[], x: number): number {
  const total = weights.reduce((t, w) => t + w, 0);
  if (!(total > 0)) return Math.floor(x * weights.length);
  let left = x * total;
  for (let i = 0; i < weights.length; i++) {
    left -= weights[i]!;
    if (left < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Each arm's probability of being the best (Monte Carlo over the posteriors), which is
 * also the share Thompson sampling gives it outside the exploration floor.
 */
export function probabilityBest(arms: readonly ArmCounts[], goal: Goal, u: Uniform, draws = 4000): number[] {
  const k = arms.length;
  const wins = new Array<number>(k).fill(0);
  if (k === 0) return wins;
  const prior = goal === "revenue" ? priorOrderValue(arms) : 1;
  for (let d = 0; d < draws; d++) {
    let best = 0;
    let bestValue = -1;
    for (let i = 0; i < k; i++) {
      const v = draw(arms[i]!, goal, prior, u);
      if (v > bestValue) {
        bestValue = v;
        best = i;
      }
    }
    wins[best]!++;
  }
  return wins.map((w) => w / draws);
}

/** The traffic share each arm gets now: the floor spread evenly plus the posterior's share. */
export function currentShares(
  arms: readonly ArmCounts[],
  weights: readonly number[],
  s: BanditSettings,
  pBest: readonly number[],
): number[] {
  const k = arms.length;
  if (arms.some((a) => a.impressions < s.minSample)) {
    const total = weights.reduce((t, w) => t + w, 0);
    return weights.map((w) => (total > 0 ? w / total : 1 / k));
  }
  return pBest.map((p) => s.explore / k + (1 - s.explore) * p);
}
