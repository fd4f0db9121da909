/**
 * Where a weather image is for, in this order:
 * 1. the image URL: `?lat=52.52&lon=13.41` (an ESP merge tag per recipient, or fixed per
 *    send); both must be plain decimals in range, else they are ignored;
 * 2. the block's fixed `location` (a block about one city);
 * 3. the recipient's profile traits: `lat`/`lon`, else `latitude`/`longitude`, else the
 *    same names inside `address` (Segment's address trait); numbers or numeric strings.
 *    The label is `address.city`, else `city`;
 * 4. the block's `defaultLocation`;
 * else none, and the block shows its neutral content.
 *
 * A URL never supplies a label: anyone can edit an image URL, and text drawn into the
 * sender's image must come from the sender (block options) or their own data (profiles).
 */
import type { OpenContext } from "../blocks/kinds.js";
import { isLatLon } from "./service.js";

export interface Place {
  lat: number;
  lon: number;
  label?: string;
}

export type LocationSource = "url" | "block" | "profile" | "default";

export interface ResolvedPlace extends Place {
  source: LocationSource;
}

const DECIMAL = /^-?\d{1,3}(\.\d{1,10})?$/;

function fromQuery(open: OpenContext): Place | null {
  const lat = open.query("lat");
  const lon = open.query("lon");
  if (!lat || !lon || !DECIMAL.test(lat) || !DECIMAL.test(lon)) return null;
  const p = { lat: Number(lat), lon: Number(lon) };
  return isLatLon(p.lat, p.lon) ? p : null;
}

function num(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" && DECIMAL.test(v.trim())) return Number(v.trim());
  return null;
}

function pair(o: Record<string, unknown>): { lat: number; lon: number } | null {
  for (const [a, b] of [
    ["lat", "lon"],
    ["latitude", "longitude"],
  ] as const) {
    const lat = num(o[a]);
    const lon = num(o[b]);
    if (lat !== null && lon !== null && isLatLon(lat, lon)) return { lat, lon };
  }
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The place in a profile's traits, if any (see the module comment for the names read). */
export function placeFromTraits(traits: Record<string, unknown>): Place | null {
  const address = isObject(traits.address) ? traits.address : {};
  const at = pair(traits) ?? pair(address);
  if (!at) return null;
  const city = typeof address.city === "string" ? address.city : traits.city;
  return typeof city === "string" && city.trim() ? { ...at, label: city } : at;
}

export async function resolvePlace(
  open: OpenContext,
  o: { location?: Place; defaultLocation?: Place },
): Promise<ResolvedPlace | null> {
  const url = fromQuery(open);
  if (url) return { ...url, source: "url" };
  if (o.location) return { ...o.location, source: "block" };
  const profile = await open.profile();
  const fromProfile = profile ? placeFromTraits(profile.traits) : null;
  if (fromProfile) return { ...fromProfile, source: "profile" };
  if (o.defaultLocation) return { ...o.defaultLocation, source: "default" };
  return null;
}
