/**
 * Paths into a source's JSON (or CSV rows) and a profile's traits: dot-separated names
 * and array indexes, `quote.last` or `0.price` or `matches.0.home.score`. Own properties
 * only, so `__proto__.x` never reaches Object.prototype; bounded in length and depth.
 */
export const PATH_RE = /^[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}){0,7}$/;

export function valueAt(root: unknown, path: string): unknown {
  let v = root;
  for (const k of path.split(".")) {
    if (Array.isArray(v)) {
      if (!/^\d{1,6}$/.test(k)) return undefined;
      v = v[Number(k)];
    } else if (v !== null && typeof v === "object" && Object.hasOwn(v, k)) {
      v = (v as Record<string, unknown>)[k];
    } else return undefined;
  }
  return v;
}

/** A number, or a numeric string ("12.5", " 3 "); NaN otherwise. */
export function numberOf(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "") return Number(v);
  return Number.NaN;
}
