/**
 * Time zones with Intl only (no tz database of our own), so this runs unchanged on any JS
 * platform that ships full ICU; Intl applies the zone's rules at each instant, so DST
 * needs no special case. Used by countdown deadlines and open-time rules.
 */
const MAX_FORMATTERS = 64; // one per distinct zone in use; bounded so odd input cannot grow memory
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
      minute: "2-digit",
      second: "2-digit",
    });
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` at instant `ms`, in ms (wall clock minus UTC). */
export function zoneOffsetMs(timeZone: string, ms: number): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const wallAsUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return wallAsUtc - Math.floor(ms / 1000) * 1000;
}

/** The wall clock in `timeZone` at instant `ms`, as a Date whose UTC fields read that wall time. */
export function wallClock(timeZone: string, ms: number): Date {
  return new Date(ms + zoneOffsetMs(timeZone, ms));
}
