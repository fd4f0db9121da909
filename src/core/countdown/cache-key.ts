/**
 * Cache key for a rendered countdown: every opener whose request lands in the
 * same whole second before the same deadline gets identical bytes, so the
 * server can share one encoded result.
 */
import type { CountdownOptions } from "./options.js";
import { remainingSeconds, resolveDeadline } from "./time.js";

/** 53-bit string hash (cyrb53): no crypto.subtle round trip (async) on the hot path. */
function hash53(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** JSON with sorted keys, so option order never changes the key. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(",")}}`;
}

/**
 * `cd2:<style hash>:<seconds left | "x" once expired>`. The output depends on
 * the deadline and the request time only through the whole seconds left (a
 * test renders two timers a week apart to the same bytes), so that is the key:
 * every timer of one style shares renders, and so do the recipients of an
 * evergreen timer, each with their own deadline, who open in the same second
 * of their countdown. `ext` separates gif/png/….
 */
export function countdownCacheKey(opts: CountdownOptions, nowMs: number, ext = "gif"): string {
  const { deadline: _d, ...style } = opts;
  const deadline = resolveDeadline(opts);
  const left = deadline <= nowMs ? "x" : String(remainingSeconds(deadline, nowMs));
  return `cd2:${hash53(canonical({ ...style, ext }))}:${left}`;
}
