// The rules a send passes at the moment it is asked for: which channels may carry it to
// this person (address, consent, suppression, a template part for it), the caps, quiet
// hours and priorities. Pure functions of the profile, the person's recent attempts and the
// settings, so each rule is testable to the second.
import { CHANNELS, type ChannelKind } from "../ports/messaging.js";
import type { Profile } from "../ports/profiles.js";
import type { SendRecord, TemplateRecord } from "../ports/sending.js";
import { engagementAt } from "../profiles/view.js";
import { zoneOffsetMs } from "../util/zone.js";
import { CAP_WINDOW_MS, type CapWindow, type CapWindows, type SendingSettings } from "./settings.js";

const DAY = 86_400_000;
/** How far back a person's attempts are read: the longest cap window and the answer history. */
export const HISTORY_MS = 30 * DAY;
/** Sends on a channel without one open or click before it counts as unanswered there. */
export const UNANSWERED_AFTER = 3;
/** A deferred higher-priority message due this soon wants the same slot as a request now. */
export const HOLD_AHEAD_MS = 60_000;
/** A deferred message whose flow has not come back this long after its time no longer holds a slot. */
export const HOLD_STALE_MS = 10 * 60_000;
/** How long a request that gave way to a higher priority waits before it asks again. */
export const YIELD_MS = 60_000;

export type Blocked = "suppressed" | "no_consent" | "no_address" | "no_provider" | "no_content";

/** Where a channel reaches this person, if it can. */
export function addressOf(p: Profile, c: ChannelKind): string | undefined {
  const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : undefined);
  switch (c) {
    case "email":
      return p.emails[0] ?? str(p.traits.email)?.toLowerCase();
    case "sms":
      return str(p.traits.phone);
    case "push":
      return p.userId ?? str(p.traits.push_token);
    case "webhook":
      return p.id;
  }
}

/**
 * Consent: what the profile recorded last (an unsubscribe or complaint records a refusal),
 * else traits.consent[channel] when it is a boolean, else granted only for channels that
 * are not opt-in (SMS and push are, by default).
 */
export function consented(p: Profile, c: ChannelKind, s: SendingSettings): boolean {
  const recorded = p.consent[c];
  if (recorded) return recorded.granted;
  const traits = p.traits.consent;
  const given = traits && typeof traits === "object" ? (traits as Record<string, unknown>)[c] : undefined;
  if (typeof given === "boolean") return given;
  return !s.optIn.includes(c);
}

function hasContent(t: TemplateRecord, c: ChannelKind): boolean {
  switch (c) {
    case "email":
      return t.subject !== undefined && (t.html !== undefined || t.text !== undefined);
    case "sms":
      return t.sms !== undefined;
    case "push":
      return t.push !== undefined;
    case "webhook":
      return true;
  }
}

/** Why this channel cannot carry the template to the person now, or null when it can. */
export function blockedOn(
  p: Profile,
  t: TemplateRecord,
  c: ChannelKind,
  s: SendingSettings,
  providers: ReadonlySet<ChannelKind>,
): Blocked | null {
  if (!providers.has(c)) return "no_provider";
  if (!hasContent(t, c)) return "no_content";
  return unreachable(p, c, s);
}

/** Why the person cannot be sent to on this channel (no address, suppressed, no consent); null when they can. */
export function unreachable(
  p: Profile,
  c: ChannelKind,
  s: SendingSettings,
): "no_address" | "suppressed" | "no_consent" | null {
  const address = addressOf(p, c);
  if (!address) return "no_address";
  if (c === "email" && p.suppressions[address]) return "suppressed";
  if (!consented(p, c, s)) return "no_consent";
  return null;
}

/** Per channel: attempts sent and attempts answered (opened or clicked). */
function answers(history: readonly SendRecord[], p: Profile) {
  const out = new Map<ChannelKind, { sent: number; answered: number }>();
  for (const c of CHANNELS) out.set(c, { sent: 0, answered: 0 });
  for (const r of history) {
    if (r.status !== "sent" || !r.channel) continue;
    const a = out.get(r.channel)!;
    a.sent++;
    if (r.events.opened || r.events.clicked) a.answered++;
  }
  // Email engagement the profile saw outside opentime's sends counts too (human only).
  const email = out.get("email")!;
  email.answered += p.email.opens + p.email.clicks > 0 ? 1 : 0;
  return out;
}

/**
 * The channels to try, in order. A list keeps the request's order; "auto" ranks every
 * channel by how this person answers there ((answered + 1) / (sent + 2): new people tie,
 * and ties keep CHANNELS order). Either way a channel with UNANSWERED_AFTER sends and no
 * answer goes behind the others: the fallback is tried first. Returns the usable channels
 * and, when there is none, the reason that best explains it.
 */
export function chooseChannels(
  p: Profile,
  t: TemplateRecord,
  wanted: readonly ChannelKind[] | "auto",
  history: readonly SendRecord[],
  s: SendingSettings,
  providers: ReadonlySet<ChannelKind>,
): { usable: ChannelKind[]; blocked: "suppressed" | "no_consent" | "no_channel" } {
  const stats = answers(history, p);
  const score = (c: ChannelKind) => {
    const a = stats.get(c)!;
    return (a.answered + 1) / (a.sent + 2);
  };
  const unanswered = (c: ChannelKind) => {
    const a = stats.get(c)!;
    return a.sent >= UNANSWERED_AFTER && a.answered === 0;
  };
  let order = wanted === "auto" ? [...CHANNELS].sort((a, b) => score(b) - score(a)) : [...new Set(wanted)];
  order = [...order.filter((c) => !unanswered(c)), ...order.filter(unanswered)];
  const usable: ChannelKind[] = [];
  const why = new Set<Blocked>();
  for (const c of order) {
    const b = blockedOn(p, t, c, s, providers);
    if (b) why.add(b);
    else usable.push(c);
  }
  const blocked = why.has("suppressed") ? "suppressed" : why.has("no_consent") ? "no_consent" : "no_channel";
  return { usable, blocked };
}

/**
 * The unengaged (low engagement and UNANSWERED_AFTER sends on the channel without an
 * answer) get half of every cap, at least one.
 */
export function isUnengaged(
  p: Profile,
  c: ChannelKind,
  history: readonly SendRecord[],
  now: number,
): boolean {
  if (engagementAt(p, now).tier !== "low") return false;
  let sent = 0;
  for (const r of history) {
    if (r.channel !== c || r.status !== "sent") continue;
    if (r.events.opened || r.events.clicked) return false;
    sent++;
  }
  return sent >= UNANSWERED_AFTER;
}

function capsFor(s: SendingSettings, c: ChannelKind, flowId: string | null, unengaged: boolean): CapWindows {
  const base = flowId === null ? s.caps[c] : { ...s.flowCaps[c], ...s.byFlow.get(flowId)?.[c] };
  if (!unengaged) return base;
  const out: CapWindows = {};
  for (const w of Object.keys(base) as CapWindow[]) {
    const n = base[w];
    if (n !== undefined) out[w] = n === 0 ? 0 : Math.max(1, Math.floor(n / 2));
  }
  return out;
}

/** When a send on `c` fits under every cap that applies: `now` when it fits now. */
export function capFreeAt(
  history: readonly SendRecord[],
  c: ChannelKind,
  flowId: string,
  s: SendingSettings,
  now: number,
  unengaged: boolean,
  /** Slots held for higher-priority messages about to ask (they count as taken). */
  held = 0,
): number {
  const counted = history.filter(
    (r) => r.channel === c && r.acceptedAt !== null && (r.status === "queued" || r.status === "sent"),
  );
  let free = now;
  for (const [scope, rows] of [
    [null, counted],
    [flowId, counted.filter((r) => r.flowId === flowId)],
  ] as const) {
    const caps = capsFor(s, c, scope, unengaged);
    for (const w of Object.keys(caps) as CapWindow[]) {
      const limit = caps[w];
      if (limit === undefined) continue;
      const span = CAP_WINDOW_MS[w];
      const times = rows
        .map((r) => r.acceptedAt!)
        .filter((at) => at > now - span)
        .sort((a, b) => a - b);
      const taken = times.length + (scope === null ? held : 0);
      if (taken < limit) continue;
      if (limit === 0) return Number.POSITIVE_INFINITY;
      // The slot frees when enough of the oldest sends leave the window.
      const leaving = times[taken - limit];
      free = Math.max(free, leaving === undefined ? now + YIELD_MS : leaving + span);
    }
  }
  return free;
}

/**
 * Deferred messages of higher priority for the same person and channel that are due about
 * now: their flows are about to ask for a slot, and they outrank this request.
 */
export function higherHolds(
  history: readonly SendRecord[],
  c: ChannelKind,
  key: string,
  priority: number,
  now: number,
): number {
  let n = 0;
  for (const r of history)
    if (
      r.status === "deferred" &&
      r.channel === c &&
      r.key !== key &&
      r.priority > priority &&
      r.nextAt !== null &&
      r.nextAt <= now + HOLD_AHEAD_MS &&
      r.nextAt >= now - HOLD_STALE_MS
    )
      n++;
  return n;
}

/** The end of the quiet hours `at` falls in, in the zone; `at` itself when it is not in them. */
export function quietUntil(s: SendingSettings, c: ChannelKind, zone: string, at: number): number {
  const q = s.quietHours;
  if (!q || !s.quietChannels.includes(c)) return at;
  const wall = at + zoneOffsetMs(zone, at);
  const minute = Math.floor((((wall % DAY) + DAY) % DAY) / 60_000);
  if (!inQuiet(q, minute)) return at;
  const minutesLeft = (q.end - minute + 24 * 60) % (24 * 60);
  const wallEnd = Math.floor(wall / 60_000) * 60_000 + minutesLeft * 60_000;
  return wallEnd - zoneOffsetMs(zone, wallEnd);
}

/** Whether a local time (minutes after midnight) is within quiet hours that may wrap past midnight. */
export function inQuiet(q: { start: number; end: number }, minute: number): boolean {
  return q.start < q.end ? minute >= q.start && minute < q.end : minute >= q.start || minute < q.end;
}
