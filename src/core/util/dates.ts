/**
 * Strict ISO 8601 dates and times for block options, conditions and previews. Date.parse
 * and Date.UTC roll impossible values over (2026-02-30 becomes 2 March, 25:00 the next
 * day), so a typo would silently move a deadline; these parse the fields themselves and
 * refuse what no calendar or clock has, saying what is wrong.
 */

/** `format` marks input that is not even shaped like a date (schemas say that in their own words). */
export type DateResult<T> = { ok: true; value: T } | { ok: false; issue: string; format?: true };

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Date.UTC reads years 0–99 as 1900–1999; nothing an email shows is that old anyway. */
const MIN_YEAR = 1970;
/** Real zone offsets run from -12:00 to +14:00. */
const MAX_OFFSET_MIN = 14 * 60;

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const two = (n: number) => String(n).padStart(2, "0");

function dateIssue(year: number, month: number, day: number): string | null {
  if (year < MIN_YEAR) return `year ${year} is before ${MIN_YEAR}`;
  if (month < 1 || month > 12) return `month ${two(month)} does not exist (01-12)`;
  const days = daysInMonth(year, month);
  if (day < 1 || day > days)
    return `${year}-${two(month)}-${two(day)} does not exist: ${MONTHS[month - 1]} ${year} has ${days} days`;
  return null;
}

function timeIssue(hour: number, minute: number, second: number): string | null {
  if (hour > 23) return `hour ${two(hour)} does not exist (00-23)`;
  if (minute > 59) return `minute ${two(minute)} does not exist (00-59)`;
  if (second > 59) return `second ${two(second)} does not exist (00-59)`;
  return null;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;

/** A calendar date, YYYY-MM-DD. */
export function parseDate(s: string): DateResult<{ year: number; month: number; day: number }> {
  const m = DATE.exec(s);
  if (!m) return { ok: false, issue: "use YYYY-MM-DD", format: true };
  const [year, month, day] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  const issue = dateIssue(year, month, day);
  return issue ? { ok: false, issue } : { ok: true, value: { year, month, day } };
}

/** A wall-clock time without offset, YYYY-MM-DDTHH:mm[:ss] (its zone comes from elsewhere). */
export function parseWallTime(s: string): DateResult<WallTime> {
  const m = LOCAL.exec(s);
  if (!m) return { ok: false, issue: "use YYYY-MM-DDTHH:mm[:ss] without offset", format: true };
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as number[];
  const second = Number(m[6] ?? 0);
  const issue = dateIssue(year!, month!, day!) ?? timeIssue(hour!, minute!, second);
  if (issue) return { ok: false, issue };
  return { ok: true, value: { year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second } };
}

/** An instant with its own offset ("Z" or ±hh:mm), as epoch ms. */
export function parseInstant(s: string): DateResult<number> {
  const m = INSTANT.exec(s);
  if (!m)
    return {
      ok: false,
      issue: "use an ISO 8601 instant with an offset, e.g. 2026-12-24T18:00:00+01:00",
      format: true,
    };
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as number[];
  const second = Number(m[6] ?? 0);
  const issue = dateIssue(year!, month!, day!) ?? timeIssue(hour!, minute!, second);
  if (issue) return { ok: false, issue };
  let offsetMin = 0;
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (om > 59 || oh * 60 + om > MAX_OFFSET_MIN)
      return { ok: false, issue: `offset ${m[8]} does not exist (-12:00 to +14:00)` };
    offsetMin = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((m[7] ?? "").padEnd(3, "0"));
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second, ms);
  return { ok: true, value: wall - offsetMin * 60_000 };
}

/** The wall time as if it were UTC, in ms (the zone's offset is applied by the caller). */
export function wallTimeAsUtc(t: WallTime): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}

/** A zod superRefine that reports why a string is not a real date or time (only when its format matched). */
export function refineDate(parse: (s: string) => DateResult<unknown>) {
  return (s: string, ctx: { addIssue(i: { code: "custom"; message: string }): void }) => {
    const r = parse(s);
    if (!r.ok && !r.format) ctx.addIssue({ code: "custom", message: r.issue });
  };
}
