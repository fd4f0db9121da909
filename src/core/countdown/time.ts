import { parseWallTime, wallTimeAsUtc } from "../util/dates.js";
import { zoneOffsetMs } from "../util/zone.js";
import type { CountdownOptions, CountdownUnit } from "./options.js";

/**
 * Deadline resolution with Intl only (no tz database of our own), so it runs
 * unchanged on any JS platform that ships full ICU.
 *
 * Wall times that a DST change makes ambiguous are resolved like Temporal's
 * "compatible" disambiguation, which is also what people mean in practice:
 * - gap (spring forward, e.g. 02:30 on the last Sunday of March in Berlin does
 *   not exist): the time is read with the offset in force *before* the change,
 *   i.e. moved forward by the gap length (02:30 → 03:30 CEST);
 * - overlap (fall back, 02:30 happens twice): the earlier instant wins (CEST).
 */

/** Converts a wall-clock time in an IANA zone to epoch ms (see the DST rules above). */
export function localToEpochMs(local: string, timeZone: string): number {
  const wall = parseWallTime(local);
  if (!wall.ok) throw new RangeError(`invalid local time ${local}: ${wall.issue}`);
  const wallAsUtc = wallTimeAsUtc(wall.value);
  const DAY = 86_400_000;
  // The offsets a day either side bracket any single transition near this time.
  const before = zoneOffsetMs(timeZone, wallAsUtc - DAY);
  const after = zoneOffsetMs(timeZone, wallAsUtc + DAY);
  const candidates = [wallAsUtc - before, wallAsUtc - after].filter(
    (t) => t + zoneOffsetMs(timeZone, t) === wallAsUtc,
  );
  if (candidates.length > 0) return Math.min(...candidates); // overlap: earlier instant
  return wallAsUtc - before; // gap: shift forward by the gap
}

export function resolveDeadline(opts: Pick<CountdownOptions, "deadline">): number {
  const d = opts.deadline;
  if (typeof d === "string") return Date.parse(d);
  return localToEpochMs(d.local, d.timeZone);
}

/** Whole seconds left at `nowMs`, never negative; the first frame shows exactly this. */
export function remainingSeconds(deadlineMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((deadlineMs - nowMs) / 1000));
}

export type Breakdown = Partial<Record<CountdownUnit, number>>;

const UNIT_SECONDS: Record<CountdownUnit, number> = { days: 86_400, hours: 3_600, minutes: 60, seconds: 1 };
/** "hours-only" shows at most 99:59:59: two digits is what that layout promises. */
const HOURS_ONLY_CAP = 99 * 3600 + 59 * 60 + 59;

/**
 * Splits remaining time over the chosen units. The largest unit absorbs what
 * the missing larger ones would hold (no days → hours may exceed 23); the
 * smallest unit rounds down, as a countdown must never show more than is left.
 */
export function breakdown(
  msRemaining: number,
  units: CountdownOptions["units"] | readonly CountdownUnit[],
): Breakdown {
  let secs = Math.max(0, Math.floor(msRemaining / 1000));
  let list: readonly CountdownUnit[];
  if (units === "hours-only") {
    secs = Math.min(secs, HOURS_ONLY_CAP);
    list = ["hours", "minutes", "seconds"];
  } else {
    list = (["days", "hours", "minutes", "seconds"] as const).filter((u) => units.includes(u));
  }
  const out: Breakdown = {};
  for (const u of list) {
    const n = Math.floor(secs / UNIT_SECONDS[u]);
    out[u] = n;
    secs -= n * UNIT_SECONDS[u];
  }
  return out;
}
