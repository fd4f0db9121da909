import { Lru } from "../util/lru.js";
import { numberOf } from "./paths.js";

/** How a bound value is written on a card. */
export const FORMATS = [
  "text",
  "number",
  "currency",
  "percent",
  "date",
  "datetime",
  "time",
  "relative",
] as const;
export type Format = (typeof FORMATS)[number];

export interface FormatSpec {
  format: Format;
  /** ISO 4217, for `currency`. */
  currency?: string;
  /** Fraction digits for number, currency, percent. */
  digits?: number;
  /** Always a sign ("+1.20", "-0.4 %"): changes read as changes. */
  signed?: boolean;
  /** `percent`: the value is already a percentage (2.5 means 2.5 %), not a ratio (0.025). */
  points?: boolean;
}

// Intl formatters cost far more to build than to use: one per locale and spec, bounded.
const numberFormats = new Lru<string, Intl.NumberFormat>(500);
const dateFormats = new Lru<string, Intl.DateTimeFormat>(200);
const relativeFormats = new Lru<string, Intl.RelativeTimeFormat>(50);

function numberFormat(locale: string, f: FormatSpec): Intl.NumberFormat {
  const key = `${locale}|${f.format}|${f.currency}|${f.digits}|${f.signed}`;
  let nf = numberFormats.get(key);
  if (!nf) {
    const o: Intl.NumberFormatOptions = { signDisplay: f.signed ? "exceptZero" : "auto" };
    if (f.format === "currency") Object.assign(o, { style: "currency", currency: f.currency ?? "USD" });
    if (f.format === "percent") o.style = "percent";
    if (f.digits !== undefined)
      Object.assign(o, { minimumFractionDigits: f.digits, maximumFractionDigits: f.digits });
    nf = new Intl.NumberFormat(locale, o);
    numberFormats.set(key, nf);
  }
  return nf;
}

/** An instant from epoch seconds or ms, or an ISO string; NaN when it is none. */
export function instantOf(v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return Math.abs(v) < 1e11 ? v * 1000 : v;
  if (typeof v === "string" && v.length <= 40) {
    const n = Number(v);
    if (v.trim() !== "" && Number.isFinite(n)) return instantOf(n);
    return Date.parse(v);
  }
  return Number.NaN;
}

/** "2 min ago", "in 3 hr", "now": the largest unit that fits. */
function relative(locale: string, ms: number): string {
  let rf = relativeFormats.get(locale);
  if (!rf) {
    rf = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" });
    relativeFormats.set(locale, rf);
  }
  const s = Math.round(ms / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return rf.format(0, "second");
  if (abs < 45 * 60) return rf.format(Math.round(s / 60), "minute");
  if (abs < 22 * 3600) return rf.format(Math.round(s / 3600), "hour");
  return rf.format(Math.round(s / 86400), "day");
}

/**
 * A value as text in the locale; null when it cannot be written in that format (a missing
 * path, a word where a number was expected): the field's fallback is drawn instead.
 */
export function formatValue(
  v: unknown,
  f: FormatSpec,
  locale: string,
  timeZone: string,
  now: number,
): string | null {
  if (v === undefined || v === null) return null;
  switch (f.format) {
    case "text":
      return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : null;
    case "number":
    case "currency":
    case "percent": {
      let n = numberOf(v);
      if (!Number.isFinite(n)) return null;
      if (f.format === "percent" && f.points) n /= 100;
      return numberFormat(locale, f).format(n);
    }
    case "relative": {
      const t = instantOf(v);
      return Number.isFinite(t) ? relative(locale, t - now) : null;
    }
    default: {
      const t = instantOf(v);
      if (!Number.isFinite(t)) return null;
      const key = `${locale}|${timeZone}|${f.format}`;
      let df = dateFormats.get(key);
      if (!df) {
        const o: Intl.DateTimeFormatOptions =
          f.format === "date"
            ? { dateStyle: "medium" }
            : f.format === "time"
              ? { timeStyle: "short" }
              : { dateStyle: "medium", timeStyle: "short" };
        df = new Intl.DateTimeFormat(locale, { ...o, timeZone });
        dateFormats.set(key, df);
      }
      return df.format(t);
    }
  }
}
