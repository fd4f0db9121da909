import type { Attribution, CountRow } from "../ports/learning.js";
import type { CompiledRules } from "../rules/choose.js";
import { DEFAULT_VARIANT } from "../rules/variants.js";
import { dict } from "../util/dict.js";
import { currentShares, probabilityBest, seededUniform } from "./thompson.js";

interface Totals {
  impressions: number;
  clicks: number;
  orders: number;
  /** By currency (never added across currencies). */
  revenue: Record<string, number>;
}

const zero = (): Totals => ({ impressions: 0, clicks: 0, orders: 0, revenue: dict() });

function add(t: Totals, r: CountRow): void {
  t.impressions += r.impressions;
  t.clicks += r.clicks;
  t.orders += r.orders;
  if (r.currency) t.revenue[r.currency] = round2((t.revenue[r.currency] ?? 0) + r.revenue);
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1e4) / 1e4 : 0);

/**
 * A block's learning stats: per arm (variant) and slot the human impressions, clicks, CTR,
 * credited orders and revenue per currency; per optimised split, each member's current
 * traffic share and probability of being the best (the bandit's confidence).
 */
export function blockLearningStats(
  rules: CompiledRules | null,
  rows: readonly CountRow[],
  recent: readonly Attribution[],
) {
  const arms = new Map<string, { totals: Totals; slots: Map<string, Totals> }>();
  const armOf = (name: string) => {
    let a = arms.get(name);
    if (!a) {
      a = { totals: zero(), slots: new Map() };
      arms.set(name, a);
    }
    return a;
  };
  const names = rules ? rules.variants.map((v) => v.name) : [];
  names.push(DEFAULT_VARIANT);
  for (const n of names) armOf(n);
  for (const r of rows) {
    const a = armOf(r.arm);
    add(a.totals, r);
    if (r.slot) {
      let s = a.slots.get(r.slot);
      if (!s) {
        s = zero();
        a.slots.set(r.slot, s);
      }
      add(s, r);
    }
  }
  const view = (t: Totals) => ({
    ...t,
    ctr: ratio(t.clicks, t.impressions),
    conversion: ratio(t.orders, t.impressions),
  });
  const variants = [...arms].map(([name, a]) => ({
    name,
    ...view(a.totals),
    slots: [...a.slots]
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([slot, t]) => ({ slot, clicks: t.clicks, orders: t.orders, revenue: t.revenue })),
  }));

  const splits = Object.entries(rules?.splits ?? {}).map(([group, settings]) => {
    const members = rules!.variants.filter((v) => v.group === group);
    const counts = members.map((m) => {
      const t = arms.get(m.name)?.totals ?? zero();
      const cur = settings.currency ?? largest(t.revenue);
      return {
        name: m.name,
        impressions: t.impressions,
        clicks: t.clicks,
        orders: t.orders,
        revenue: cur ? (t.revenue[cur] ?? 0) : 0,
      };
    });
    // Seeded: the same counts always report the same confidence.
    const pBest = probabilityBest(counts, settings.optimize, seededUniform(counts.length + rows.length));
    const shares = settings.pin
      ? members.map((m) => (m.name === settings.pin ? 1 : 0))
      : settings.stopped
        ? currentShares(
            counts,
            members.map((m) => m.weight),
            { ...settings, minSample: Number.POSITIVE_INFINITY },
            pBest,
          )
        : currentShares(
            counts,
            members.map((m) => m.weight),
            settings,
            pBest,
          );
    return {
      group,
      optimize: settings.optimize,
      explore: settings.explore,
      minSample: settings.minSample,
      stickyHours: settings.stickyHours,
      currency: settings.currency ?? null,
      pin: settings.pin,
      stopped: settings.stopped,
      learning:
        !settings.pin && !settings.stopped && counts.every((c) => c.impressions >= settings.minSample),
      arms: counts.map((c, i) => ({
        name: c.name,
        impressions: c.impressions,
        clicks: c.clicks,
        orders: c.orders,
        share: Math.round(shares[i]! * 1e4) / 1e4,
        probabilityBest: Math.round(pBest[i]! * 1e4) / 1e4,
      })),
    };
  });
  return {
    variants,
    splits,
    recentOrders: recent.map((a) => ({
      orderId: a.orderId,
      variant: a.arm,
      slot: a.slot,
      product: a.product,
      campaign: a.campaign,
      flow: a.flow,
      step: a.step,
      currency: a.currency,
      revenue: a.revenue,
      clickedAt: new Date(a.clickAt).toISOString(),
      at: new Date(a.at).toISOString(),
    })),
  };
}

function largest(r: Record<string, number>): string | null {
  let best: string | null = null;
  for (const [c, v] of Object.entries(r)) if (best === null || v > r[best]!) best = c;
  return best;
}
