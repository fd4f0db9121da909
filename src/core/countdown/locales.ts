import type { CountdownLocale, CountdownUnit } from "./options.js";

/**
 * Unit labels by CLDR plural category. Only the categories a language uses for
 * whole numbers are listed; a missing category falls back to "other" (e.g.
 * Spanish/Italian/Portuguese "many" applies to millions, never reached here).
 */
type Forms = { one?: string; other: string };
type Table = Record<CountdownUnit, Forms>;

const TABLES: Record<CountdownLocale, Table> = {
  en: {
    days: { one: "day", other: "days" },
    hours: { one: "hour", other: "hours" },
    minutes: { one: "minute", other: "minutes" },
    seconds: { one: "second", other: "seconds" },
  },
  de: {
    days: { one: "Tag", other: "Tage" },
    hours: { one: "Stunde", other: "Stunden" },
    minutes: { one: "Minute", other: "Minuten" },
    seconds: { one: "Sekunde", other: "Sekunden" },
  },
  fr: {
    days: { one: "jour", other: "jours" },
    hours: { one: "heure", other: "heures" },
    minutes: { one: "minute", other: "minutes" },
    seconds: { one: "seconde", other: "secondes" },
  },
  es: {
    days: { one: "día", other: "días" },
    hours: { one: "hora", other: "horas" },
    minutes: { one: "minuto", other: "minutos" },
    seconds: { one: "segundo", other: "segundos" },
  },
  it: {
    days: { one: "giorno", other: "giorni" },
    hours: { one: "ora", other: "ore" },
    minutes: { one: "minuto", other: "minuti" },
    seconds: { one: "secondo", other: "secondi" },
  },
  nl: {
    days: { one: "dag", other: "dagen" },
    hours: { one: "uur", other: "uur" },
    minutes: { one: "minuut", other: "minuten" },
    seconds: { one: "seconde", other: "seconden" },
  },
  pt: {
    days: { one: "dia", other: "dias" },
    hours: { one: "hora", other: "horas" },
    minutes: { one: "minuto", other: "minutos" },
    seconds: { one: "segundo", other: "segundos" },
  },
  // Japanese has no grammatical plural: one form for every count.
  ja: {
    days: { other: "日" },
    hours: { other: "時間" },
    minutes: { other: "分" },
    seconds: { other: "秒" },
  },
};

const pluralRules = new Map<CountdownLocale, Intl.PluralRules>();

function rulesFor(locale: CountdownLocale): Intl.PluralRules {
  let r = pluralRules.get(locale);
  if (!r) {
    r = new Intl.PluralRules(locale);
    pluralRules.set(locale, r); // at most 8 entries: the locale enum bounds it
  }
  return r;
}

// Intl.PluralRules.select goes through ICU (~1 µs) and runs for every label of every frame;
// the numbers a countdown shows are small, so each locale's answers for 0..999 are memoised.
const MEMO_MAX = 1000;
const categories = new Map<CountdownLocale, (string | undefined)[]>();

function category(locale: CountdownLocale, n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= MEMO_MAX) return rulesFor(locale).select(n);
  let memo = categories.get(locale);
  if (!memo) {
    memo = new Array(MEMO_MAX);
    categories.set(locale, memo);
  }
  let cat = memo[n];
  if (cat === undefined) {
    cat = rulesFor(locale).select(n);
    memo[n] = cat;
  }
  return cat;
}

/** The label for `n` of `unit`, e.g. ("de", "days", 1) → "Tag", ("fr", "days", 0) → "jour". */
export function unitLabel(locale: CountdownLocale, unit: CountdownUnit, n: number): string {
  const forms = TABLES[locale][unit];
  const cat = category(locale, n);
  return (cat === "one" ? forms.one : undefined) ?? forms.other;
}

/** Every distinct label a unit can show, so the layout can reserve room for the widest. */
export function allUnitLabels(locale: CountdownLocale, unit: CountdownUnit): string[] {
  const f = TABLES[locale][unit];
  return f.one !== undefined && f.one !== f.other ? [f.one, f.other] : [f.other];
}
