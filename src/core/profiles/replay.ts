import type { EmailEvent, Profile, StoredEvent } from "../ports/profiles.js";
import { type SegmentFacts, storedFacts } from "../segment/event.js";
import { applyEmail, applySegment } from "./apply.js";
import { normalizeEmail } from "./identity.js";
import { emptyProfile } from "./model.js";

/**
 * A profile is a function of its events in time order: what each field says (cart, intent,
 * sessions, engagement, interests, purchases, counts, createdAt, …) must not depend on the
 * order the events arrived in. Applying each event on top is that function only when the
 * event is the newest so far, which is what nearly every event is. An older one is not
 * applied on top (a Product Added from before an Order Completed would stay in the cart,
 * an old order would reset newer intent, an old page view would join two sessions): the
 * profile's derived state is rebuilt by replaying its stored events, the late one in its
 * place. These functions are that replay; time-order.ts decides when a group needs it.
 */

/** What applying one event takes: a Segment event's facts, or an ESP event. */
export type Applicable =
  | { kind: "segment"; facts: SegmentFacts }
  | { kind: "email"; event: EmailEvent; email: string };

/** An event to replay: its time and what it does. */
export interface Timed {
  at: number;
  apply: Applicable;
}

/**
 * More stored events than this and a person's profile is not rebuilt: a late event is then
 * applied on top as it arrives (counts and decayed scores stay exact; the session, cart
 * and intent may differ from time order). A rebuild reads and replays every stored event of
 * the person, on the writer every other person's writes wait behind, so it is bounded.
 */
export const MAX_REPLAY_EVENTS = 5_000;

/** Whether an event at `at` is no older than everything applied (a tie is later: it arrived later). */
export const inTimeOrder = (p: Profile, at: number) =>
  p.appliedThrough === undefined || at >= p.appliedThrough;

/** Applies one event on top of the profile. */
export function applyEvent(p: Profile, a: Applicable, at: number): void {
  if (a.kind === "segment") applySegment(p, a.facts);
  else applyEmail(p, a.event, a.email);
  p.appliedThrough = p.appliedThrough === undefined ? at : Math.max(p.appliedThrough, at);
}

/** A stored event as it was applied; null for a row that is neither kind (never written by us). */
export function applicableOf(e: StoredEvent): Applicable | null {
  if (e.type !== "email") {
    const facts = storedFacts(e.body, e.at);
    return facts && { kind: "segment", facts };
  }
  let event: EmailEvent;
  try {
    event = JSON.parse(e.body) as EmailEvent;
  } catch {
    return null;
  }
  const email = normalizeEmail(event.email);
  return email ? { kind: "email", event, email } : null;
}

/**
 * Rebuilds `p` (in place) from its stored events and the group's new ones: identity kept
 * (ids, userId, updatedAt), everything else as if the events had arrived in time order. At
 * equal times the stored ones go first by arrival (`seq`), then the new ones as they came.
 */
export function rebuild(p: Profile, stored: readonly StoredEvent[], fresh: readonly Timed[]): void {
  const ordered = [...stored].sort((a, b) => a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0));
  const all: Timed[] = [];
  for (const e of ordered) {
    const apply = applicableOf(e);
    if (apply) all.push({ at: e.at, apply });
  }
  all.push(...fresh);
  if (!all.length) return;
  // Stable: equal times keep the order built above.
  all.sort((a, b) => a.at - b.at);
  resetDerived(p, all[0]!.at);
  for (const e of all) applyEvent(p, e.apply, e.at);
}

/** The profile with only its identity left, as first created by an event at `at`. */
function resetDerived(p: Profile, at: number): void {
  const { id, userId, userIds, anonymousIds, emails, recipientIds, updatedAt } = p;
  for (const k of Object.keys(p)) delete (p as unknown as Record<string, unknown>)[k];
  Object.assign(p, emptyProfile(id, at), { userId, userIds, anonymousIds, emails, recipientIds, updatedAt });
}
