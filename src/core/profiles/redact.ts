import { dict } from "../util/dict.js";

/**
 * An erased address taken out of what another person's profile holds (a shared inbox: two
 * users who identified with one address). Matching is case-insensitive, as addresses are
 * compared everywhere in opentime: a string that is the address goes (from its object or
 * array), an address inside a longer string is cut out of it, and an entry whose key holds
 * the address goes. Everything else is kept as it was.
 */
export function redact(value: unknown, addresses: readonly string[]): unknown {
  const patterns = addresses.map((a) => new RegExp(a.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"));
  const holds = (s: string) => patterns.some((re) => s.search(re) >= 0);
  const isAddress = (s: string) => addresses.includes(s.trim().toLowerCase());
  const clean = (v: unknown): unknown => {
    if (typeof v === "string") return holds(v) ? patterns.reduce((s, re) => s.replace(re, ""), v) : v;
    if (Array.isArray(v)) return v.filter((x) => !(typeof x === "string" && isAddress(x))).map(clean);
    if (typeof v !== "object" || v === null) return v;
    const out = dict<unknown>();
    for (const [k, x] of Object.entries(v)) {
      if (holds(k) || (typeof x === "string" && isAddress(x))) continue;
      out[k] = clean(x);
    }
    return out;
  };
  return clean(value);
}

/** A stored event body without the addresses; null when it held none (nothing to rewrite). */
export function redactBody(body: string, addresses: readonly string[]): string | null {
  const lower = body.toLowerCase();
  // JSON escapes nothing an address is made of but `"` and `\`, which EMAIL_RE allows: look
  // for the address as JSON writes it too.
  if (!addresses.some((a) => lower.includes(a) || lower.includes(JSON.stringify(a).slice(1, -1))))
    return null;
  return JSON.stringify(redact(JSON.parse(body), addresses));
}
