import type { Profile } from "../ports/profiles.js";
import { zoneOffsetMs } from "../util/zone.js";

const HOUR = 3_600_000;

/** Pseudo-observations the population prior is worth: a person's own few opens move it, many decide. */
export const PRIOR_WEIGHT = 4;
/** Each observed open or click also counts this much in the hours either side (opens drift). */
const NEIGHBOUR = 0.25;

/** A valid IANA zone from the profile's traits.timezone, else the default. */
export function zoneOf(p: Profile | null, fallback: string): string {
  const tz = p?.traits.timezone;
  if (typeof tz === "string" && tz.length <= 64) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return tz;
    } catch {
      // not a zone Intl knows
    }
  }
  return fallback;
}

/**
 * The population prior over local hours: a bump around the default hour (people read mail
 * in the morning), never zero, so a person with one odd-hour open is not sent to at 3 a.m.
 */
export function populationPrior(defaultHour: number): number[] {
  const raw = Array.from({ length: 24 }, (_, h) => {
    const d = Math.min(Math.abs(h - defaultHour), 24 - Math.abs(h - defaultHour));
    return Math.exp(-(d * d) / (2 * 3 * 3)) + 0.05;
  });
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
}

/**
 * The person's most likely local hour to open or click: their human opens and clicks per
 * UTC hour (the profile's email.hours) turned to local hours at `at`, each spread a little
 * to the neighbouring hours, plus PRIOR_WEIGHT pseudo-opens spread as the population prior.
 * No history: the prior's peak, the default hour. Hours `allowed` refuses (quiet hours) are never chosen.
 */
export function bestLocalHour(
  p: Profile | null,
  zone: string,
  at: number,
  prior: readonly number[],
  allowed: (hour: number) => boolean = () => true,
): number {
  const utcHours = p?.email.hours ?? [];
  const offsetH = Math.round(zoneOffsetMs(zone, at) / HOUR);
  const local = Array.from({ length: 24 }, (_, h) => utcHours[(((h - offsetH) % 24) + 24) % 24] ?? 0);
  let best = 0;
  let bestScore = -1;
  for (let h = 0; h < 24; h++) {
    if (!allowed(h)) continue;
    const own = local[h]! + NEIGHBOUR * (local[(h + 23) % 24]! + local[(h + 1) % 24]!);
    const score = own + PRIOR_WEIGHT * prior[h]!;
    if (score > bestScore) {
      best = h;
      bestScore = score;
    }
  }
  return best;
}

/** The first instant at or after `after` whose wall clock in `zone` is within `hour`. */
export function nextLocalHour(zone: string, hour: number, after: number): number {
  const wall = new Date(after + zoneOffsetMs(zone, after));
  if (wall.getUTCHours() === hour) return after;
  const start = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate(), hour);
  let wallTarget = start > wall.getTime() ? start : start + 24 * HOUR;
  // Back to an instant with the zone's offset there (a DST change in between moves it).
  let at = wallTarget - zoneOffsetMs(zone, wallTarget);
  if (new Date(at + zoneOffsetMs(zone, at)).getUTCHours() !== hour) at = wallTarget - zoneOffsetMs(zone, at);
  // A skipped hour (spring forward) has no instant: the next day's.
  if (at < after || new Date(at + zoneOffsetMs(zone, at)).getUTCHours() !== hour) {
    wallTarget += 24 * HOUR;
    at = wallTarget - zoneOffsetMs(zone, wallTarget);
  }
  return at;
}
