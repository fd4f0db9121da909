import type { TrackEvent } from "../ports/index.js";
import type { ActivityRow, Profile } from "../ports/profiles.js";
import { identityValue, kindOf, recipientKey } from "./identity.js";
import { addDecayed, ENGAGEMENT_WEIGHT, HALF_LIFE, mergeDecayed, reviveProfile } from "./model.js";

export type { ActivityRow };

/**
 * Email activity from opentime's own /o, /c and /i URLs, one small row per recipient key
 * (`e:<email>` or `r:<ESP id>`), kept apart from the profile document.
 *
 * Why apart: a million-recipient send opens at thousands a second, nearly every hit from a
 * different person. Rewriting that person's whole JSON profile per hit cost ~40 µs of
 * SQLite and JSON work, competing with the redirects for the same two cores; adding to a
 * ~300-byte row costs a few µs. Keyed by what `u` carries, the row needs no identity
 * lookup when written and no move when profiles merge: a profile reads the rows of every
 * email, ESP id and user id it has (see activityKeysOf) and folds them in on read.
 */

export function emptyActivity(key: string, at: number): ActivityRow {
  return {
    key,
    opens: 0,
    clicks: 0,
    machineOpens: 0,
    machineClicks: 0,
    machineByClass: {},
    lastOpenAt: null,
    lastClickAt: null,
    hours: new Array(24).fill(0),
    engagement: { v: 0, t: at },
    firstAt: at,
    lastAt: at,
  };
}

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** One open or click. Machine ones (MPP, proxies, scanners) are counted apart and move nothing else. */
function addHit(row: ActivityRow, e: Pick<TrackEvent, "kind" | "class" | "at">): void {
  row.firstAt = Math.min(row.firstAt, e.at);
  row.lastAt = Math.max(row.lastAt, e.at);
  if (e.class !== "human") {
    if (e.kind === "open") row.machineOpens++;
    else row.machineClicks++;
    row.machineByClass[e.class] = (row.machineByClass[e.class] ?? 0) + 1;
    return;
  }
  if (e.kind === "open") {
    row.opens++;
    row.lastOpenAt = maxOf(row.lastOpenAt, e.at);
  } else {
    row.clicks++;
    row.lastClickAt = maxOf(row.lastClickAt, e.at);
  }
  row.hours[utcHour(e.at)]!++;
  // In place (the row is the caller's own): the same sum as mergeDecayed, no object per hit.
  addDecayed(row.engagement, ENGAGEMENT_WEIGHT[e.kind], e.at, HALF_LIFE.engagement);
}

/**
 * A correction (TrackEvent.corrects): the hit moves from class `from` to `e.class`, what
 * addHit counted for it taken back. A click corrected from human leaves `clicks`, the
 * delta's human click times: the latest left is its last click, and (reclassifiedClicks)
 * a stored last click among the corrected ones is replaced in the row it is added to.
 */
function correctHit(
  row: ActivityRow,
  e: Pick<TrackEvent, "kind" | "class" | "at">,
  from: string,
  clicks: number[] | undefined,
): void {
  // Only ever made to a machine class (a scanner's): nothing to take back otherwise.
  if (e.class === "human") return;
  const bump = (cls: string, by: number) => {
    const n = (row.machineByClass[cls] ?? 0) + by;
    if (n === 0) delete row.machineByClass[cls];
    else row.machineByClass[cls] = n;
  };
  if (from === "human") {
    if (e.kind === "open") {
      row.opens--;
      row.machineOpens++;
    } else {
      row.clicks--;
      row.machineClicks++;
      const r = row.reclassifiedClicks ?? { from: e.at, to: e.at };
      row.reclassifiedClicks = { from: Math.min(r.from, e.at), to: Math.max(r.to, e.at) };
      const i = clicks?.indexOf(e.at) ?? -1;
      if (i !== -1) {
        clicks!.splice(i, 1);
        row.lastClickAt = clicks!.length ? Math.max(...clicks!) : null;
      }
    }
    row.hours[utcHour(e.at)]!--;
    addDecayed(row.engagement, -ENGAGEMENT_WEIGHT[e.kind], e.at, HALF_LIFE.engagement);
  } else bump(from, -1);
  bump(e.class, 1);
}

/** `new Date(at).getUTCHours()` without a Date per hit (epoch ms carry no leap seconds). */
export const utcHour = (at: number) => ((Math.floor(at / 3_600_000) % 24) + 24) % 24;

/**
 * A batch of opens/clicks as one delta per recipient key (hits without a recipient skipped),
 * added to the deltas already in `out` when given (a fold window's: no row per batch).
 */
export function aggregateActivity<
  E extends Pick<TrackEvent, "recipient" | "kind" | "class" | "at" | "corrects">,
>(
  events: readonly E[],
  out = new Map<string, ActivityRow>(),
  /** Told each hit with its person's delta (to keep more per person without a second lookup). */
  onHit?: (row: ActivityRow, e: E) => void,
): Map<string, ActivityRow> {
  // Each person's human click times of these events, for corrections of them.
  const clicks = new Map<string, number[]>();
  for (const e of events) {
    if (!e.recipient) continue;
    const k = recipientKey(e.recipient);
    let row = out.get(k);
    if (!row) {
      row = emptyActivity(k, e.at);
      out.set(k, row);
    }
    if (e.corrects) correctHit(row, e, e.corrects, clicks.get(k));
    else {
      addHit(row, e);
      if (e.kind === "click" && e.class === "human") {
        const list = clicks.get(k);
        if (list) list.push(e.at);
        else clicks.set(k, [e.at]);
      }
    }
    onHit?.(row, e);
  }
  return out;
}

/** The email counters an activity row and a profile's `email` share (same names, same meaning). */
type EmailCounts = Pick<
  ActivityRow,
  | "opens"
  | "clicks"
  | "machineOpens"
  | "machineClicks"
  | "machineByClass"
  | "lastOpenAt"
  | "lastClickAt"
  | "hours"
>;

function addCounts(into: EmailCounts, d: EmailCounts): void {
  into.opens += d.opens;
  into.clicks += d.clicks;
  into.machineOpens += d.machineOpens;
  into.machineClicks += d.machineClicks;
  for (const [c, n] of Object.entries(d.machineByClass)) {
    // A correction's delta takes from a class: one left at 0 is not listed (as in SQLite).
    const sum = (into.machineByClass[c] ?? 0) + n;
    if (sum === 0) delete into.machineByClass[c];
    else into.machineByClass[c] = sum;
  }
  into.lastOpenAt = maxOf(into.lastOpenAt, d.lastOpenAt);
  into.lastClickAt = maxOf(into.lastClickAt, d.lastClickAt);
  for (let h = 0; h < 24; h++) into.hours[h]! += d.hours[h] ?? 0;
}

/** Adds a delta to a stored row (in place). Plain addition: order of batches does not matter. */
export function addActivity(into: ActivityRow, d: ActivityRow): void {
  addCounts(into, d);
  const r = d.reclassifiedClicks;
  // As activity-table.ts does: a stored last click that was one of the corrected ones goes.
  if (r && into.lastClickAt !== null && into.lastClickAt >= r.from && into.lastClickAt <= r.to)
    into.lastClickAt = d.lastClickAt !== null && d.lastClickAt < r.from ? d.lastClickAt : null;
  into.engagement = mergeDecayed(into.engagement, d.engagement, HALF_LIFE.engagement);
  into.firstAt = Math.min(into.firstAt, d.firstAt);
  into.lastAt = Math.max(into.lastAt, d.lastAt);
}

/**
 * The activity keys a profile owns: its emails, its ESP ids, and its user ids as ESP ids
 * (Customer.io, Braze and others put the operator's own user id in `u`).
 */
export function activityKeysOf(p: Pick<Profile, "emails" | "recipientIds" | "userIds">): string[] {
  const keys = new Set<string>();
  for (const e of p.emails) keys.add(recipientKey(e));
  for (const r of p.recipientIds) keys.add(recipientKey(r));
  for (const u of p.userIds) keys.add(recipientKey(u));
  return [...keys];
}

/** The values of activity keys as they appear in the event log's `recipient` column. */
export function recipientsOfKeys(keys: readonly string[]): string[] {
  return keys.filter((k) => kindOf(k) === "e" || kindOf(k) === "r").map(identityValue);
}

/**
 * The profile as read: its document plus its activity rows. Returns a copy; the stored
 * document never contains activity, so nothing is counted twice when it is written back.
 */
export function foldActivity(p: Profile, rows: readonly ActivityRow[]): Profile {
  if (!rows.length) return p;
  const out: Profile = reviveProfile(structuredClone(p));
  const m = out.email;
  let engagement = out.engagement;
  for (const r of rows) {
    addCounts(m, r);
    if (r.engagement.v > 0) engagement = mergeDecayed(engagement, r.engagement, HALF_LIFE.engagement);
    out.counts.emailOpens = (out.counts.emailOpens ?? 0) + r.opens + r.machineOpens;
    out.counts.emailClicks = (out.counts.emailClicks ?? 0) + r.clicks + r.machineClicks;
    out.lastSeenAt = Math.max(out.lastSeenAt, r.lastAt);
  }
  out.engagement = engagement;
  return out;
}
