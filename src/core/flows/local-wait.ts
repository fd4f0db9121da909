import type { Weekday } from "../rules/conditions.js";
import { wallClock, zoneOffsetMs } from "../util/zone.js";

const WEEKDAYS: readonly Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** The UTC instant of a wall-clock time in a zone (the offset re-read at the guess, for DST). */
export function instantOf(
  zone: string,
  y: number,
  m: number,
  d: number,
  hour: number,
  minute: number,
): number {
  const wall = Date.UTC(y, m, d, hour, minute);
  const guess = wall - zoneOffsetMs(zone, wall);
  return wall - zoneOffsetMs(zone, guess);
}

/** The first instant after `now` at hour:minute local time in `zone`, on one of `weekdays` if given. */
export function nextLocalTime(
  now: number,
  zone: string,
  hour: number,
  minute: number,
  weekdays?: readonly Weekday[],
): number {
  const today = wallClock(zone, now);
  for (let d = 0; d <= 8; d++) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + d));
    if (weekdays && !weekdays.includes(WEEKDAYS[day.getUTCDay()]!)) continue;
    const at = instantOf(zone, day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour, minute);
    if (at > now) return at;
  }
  return now + 86_400_000;
}
