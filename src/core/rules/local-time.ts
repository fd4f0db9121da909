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

// One formatter per zone in use; bounded so odd zone names cannot grow memory.
const MAX_FORMATTERS = 64;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      weekday: "short",
    });
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(ms: number, timeZone: string): LocalTime {
  let year = "";
  let month = "";
  let day = "";
  let hour = 0;
  let weekday = "mon";
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) {
    if (p.type === "year") year = p.value;
    else if (p.type === "month") month = p.value;
    else if (p.type === "day") day = p.value;
    else if (p.type === "hour") hour = Number(p.value) % 24;
    else if (p.type === "weekday") weekday = p.value.toLowerCase();
  }
  return { date: `${year}-${month}-${day}`, hour, weekday: weekday as Weekday };
}
