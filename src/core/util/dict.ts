/**
 * Objects with no prototype, for maps whose keys come from users (product ids, trait names,
 * group ids, currencies, event names, CSV headers, URL schemes).
 *
 * Why: on a plain object `m["__proto__"] = v` replaces the object's prototype instead of
 * storing a key, and `m["constructor"]`, `m["toString"]` read Object.prototype's members, so
 * a read-add-write such as `m[k] = (m[k] ?? 0) + 1` corrupts the value or, through the
 * prototype, every object of the process. A null-prototype object has none of these: every
 * key is an own data property, and it still serialises as plain JSON.
 */
export type Dict<T> = Record<string, T>;

/** A null-prototype copy of `from` (its own enumerable keys, "__proto__" included). */
export function dict<T>(from?: Readonly<Record<string, T>> | null): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  if (from) for (const k of Object.keys(from)) out[k] = from[k] as T;
  return out;
}

/** A constant lookup table that user strings may index safely (a miss is `undefined`). */
export function table<T>(entries: Readonly<Record<string, T>>): Readonly<Dict<T>> {
  return Object.freeze(dict(entries));
}
