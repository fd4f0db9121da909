import type { Decayed, Profile } from "../ports/profiles.js";
import { decayedAt, ENGAGEMENT_TIERS, HALF_LIFE, SESSION_IDLE_MS } from "./model.js";

const round = (n: number, d = 4) => Math.round(n * 10 ** d) / 10 ** d;

export type EngagementTier = "high" | "medium" | "low";

export function engagementAt(p: Profile, now: number): { score: number; tier: EngagementTier } {
  const score = Math.max(0, decayedAt(p.engagement, now, HALF_LIFE.engagement));
  const tier = score >= ENGAGEMENT_TIERS.high ? "high" : score >= ENGAGEMENT_TIERS.medium ? "medium" : "low";
  return { score: round(score), tier };
}

/** Purchase intent as 0..1: 1 − e^(−x) of the decayed funnel signal (cart > view > browse). */
export function intentAt(p: Profile, now: number): number {
  return round(1 - Math.exp(-Math.max(0, decayedAt(p.intent, now, HALF_LIFE.intent))));
}

function ranked(map: Record<string, Decayed>, now: number) {
  return Object.entries(map)
    .map(([id, d]) => ({ id, score: round(decayedAt(d, now, HALF_LIFE.interest)) }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score);
}

/** The profile as the API shows it: scores decayed to `now`, the session's liveness decided. */
export function profileView(p: Profile, now: number) {
  const hours = p.email.hours;
  const best = hours.some((n) => n > 0) ? hours.indexOf(Math.max(...hours)) : null;
  const s = p.session;
  const cartValue = p.cart?.items.reduce((sum, i) => sum + (i.price ?? 0) * i.quantity, 0) ?? 0;
  return {
    id: p.id,
    userId: p.userId,
    identities: {
      userIds: p.userIds,
      anonymousIds: p.anonymousIds,
      emails: p.emails,
      recipientIds: p.recipientIds,
    },
    traits: p.traits,
    groups: p.groups,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    lastSeenAt: p.lastSeenAt,
    counts: p.counts,
    engagement: {
      ...engagementAt(p, now),
      halfLifeDays: HALF_LIFE.engagement / 86_400_000,
    },
    intent: { score: intentAt(p, now), halfLifeHours: HALF_LIFE.intent / 3_600_000 },
    interests: {
      products: ranked(p.interests.products, now),
      categories: ranked(p.interests.categories, now),
    },
    session: s
      ? {
          active: now - s.lastActivityAt <= SESSION_IDLE_MS,
          startedAt: s.startedAt,
          lastActivityAt: s.lastActivityAt,
          events: s.events,
          views: s.views,
        }
      : null,
    cart: p.cart ? { ...p.cart, value: round(cartValue, 2) } : null,
    wishlist: p.wishlist,
    purchases: p.purchases,
    email: { ...p.email, bestHourUtc: best },
    consent: p.consent,
    suppressions: p.suppressions,
    history: p.history,
  };
}

export type ProfileView = ReturnType<typeof profileView>;
