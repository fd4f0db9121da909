import type { EmailEvent, Profile } from "../ports/profiles.js";
import type { SegmentFacts } from "../segment/event.js";
import { putGroup, putTraits, suppress } from "./bounds.js";
import { applyCommerce, BROWSE_INTENT } from "./ecommerce.js";
import { addDecayed, bumpInterest, count, ENGAGEMENT_WEIGHT, HALF_LIFE, SESSION_IDLE_MS } from "./model.js";

/**
 * Pure profile updates: (profile, event) → profile mutated in place. Identity (who the
 * event belongs to) is the service's job; these only say what the event means.
 */

/** Moves the live session forward; a gap of 30 min starts a new one (a "visit"). */
function touchSession(p: Profile, at: number): void {
  const s = p.session;
  if (s && at >= s.startedAt && at - s.lastActivityAt <= SESSION_IDLE_MS) {
    s.lastActivityAt = Math.max(s.lastActivityAt, at);
    s.events++;
    return;
  }
  // A late event from before the current session does not reopen an old one.
  if (s && at < s.startedAt) return;
  p.session = { startedAt: at, lastActivityAt: at, events: 1, views: [] };
  count(p, "sessions");
  addDecayed(p.engagement, ENGAGEMENT_WEIGHT.visit, at, HALF_LIFE.engagement);
}

function mergeTraits(p: Profile, traits: Record<string, unknown>, at: number): void {
  const newer = at >= p.traitsAt;
  putTraits(p, traits, newer);
  if (newer) p.traitsAt = at;
}

export function applySegment(p: Profile, ev: SegmentFacts): void {
  const at = ev.timestamp;
  count(p, "events");
  count(p, ev.type);
  p.lastSeenAt = Math.max(p.lastSeenAt, at);
  switch (ev.type) {
    case "identify":
      mergeTraits(p, ev.traits, at);
      break;
    case "group":
      putGroup(p, ev.groupId!, ev.traits, at);
      break;
    case "page":
    case "screen": {
      touchSession(p, at);
      addDecayed(p.intent, BROWSE_INTENT, at, HALF_LIFE.intent);
      const cat = ev.properties.category;
      if (typeof cat === "string" && cat) bumpInterest(p.interests.categories, cat.slice(0, 200), 0.25, at);
      break;
    }
    case "track": {
      touchSession(p, at);
      applyCommerce(p, ev.event!, ev.properties, at);
      break;
    }
    case "alias":
      break;
  }
}

function hourOf(at: number): number {
  return new Date(at).getUTCHours();
}

/** A human open or click: engagement, last times, the send-time histogram. */
function humanSignal(p: Profile, kind: "open" | "click", at: number): void {
  const e = p.email;
  if (kind === "open") {
    e.opens++;
    e.lastOpenAt = Math.max(e.lastOpenAt ?? 0, at);
  } else {
    e.clicks++;
    e.lastClickAt = Math.max(e.lastClickAt ?? 0, at);
  }
  e.hours[hourOf(at)]!++;
  addDecayed(p.engagement, ENGAGEMENT_WEIGHT[kind], at, HALF_LIFE.engagement);
}

/** Machine opens/clicks (MPP, proxies, scanners) are counted apart and move nothing else. */
function machineSignal(p: Profile, kind: "open" | "click", cls: string): void {
  if (kind === "open") p.email.machineOpens++;
  else p.email.machineClicks++;
  p.email.machineByClass[cls] = (p.email.machineByClass[cls] ?? 0) + 1;
}

/** An ESP webhook event (delivered, open, click, bounce, complaint, unsubscribe, …). */
export function applyEmail(p: Profile, e: EmailEvent, email: string): void {
  const m = p.email;
  count(p, `email_${e.type}`);
  switch (e.type) {
    case "delivered":
      m.delivered++;
      m.lastDeliveredAt = Math.max(m.lastDeliveredAt ?? 0, e.at);
      break;
    case "open":
    case "click":
      if (e.machine) machineSignal(p, e.type, "machine");
      else humanSignal(p, e.type, e.at);
      break;
    case "bounce":
      m.bounces++;
      // Hard bounces stop mail at once; soft ones are the ESP's to retry.
      if (e.bounce === "hard") suppress(p, email, { reason: "hard_bounce", at: e.at, source: e.provider });
      break;
    case "complaint":
      m.complaints++;
      suppress(p, email, { reason: "complaint", at: e.at, source: e.provider });
      p.consent.email = { granted: false, at: e.at, source: e.provider };
      break;
    case "unsubscribe":
      suppress(p, email, { reason: "unsubscribe", at: e.at, source: e.provider });
      p.consent.email = { granted: false, at: e.at, source: e.provider };
      break;
    case "deferred":
    case "dropped":
      break;
  }
}
