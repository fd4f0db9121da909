import { wallClock } from "../util/zone.js";
import type { Weekday } from "./conditions.js";

/**
 * The wall clock in an IANA zone at an instant, with Intl only (no tz database of our own):
 * Intl applies the zone's rules for that very instant, so DST changes need no special case.
 */
export interface LocalTime {
  /** YYYY-MM-DD in the zone (compares as a string). */
  date: string;
  hour: number;
  weekday: Weekday;
}

const WEEKDAYS: readonly Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export function localTime(ms: number, timeZone: string): LocalTime {
  const w = wallClock(timeZone, ms);
  return {
    date: w.toISOString().slice(0, 10),
    hour: w.getUTCHours(),
    weekday: WEEKDAYS[w.getUTCDay()]!,
  };
}
