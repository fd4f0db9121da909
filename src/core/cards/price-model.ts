import type { PricePoint, ProductRecord } from "../ports/catalog.js";

/**
 * What a price card shows, derived from the product, its history, the block's options and
 * the time of the open. Every field is text or a flag, so this object is exactly what
 * decides the pixels: the render cache keys on it (see price-block.ts).
 */
export interface PriceCardModel {
  name: string;
  now: string;
  /** The reference ("was") price, only when the product really is cheaper now. */
  was: string | null;
  /** "-20%" in the locale's style, with `was`; never on a sold-out product. */
  discount: string | null;
  /** "Only 3 left" / "Sold out" in the card's language; null when stock is plentiful or untracked. */
  stockLabel: string | null;
  soldOut: boolean;
  /** A data: image URL, or null. A remote image is fetched by ProductImages and set in its place. */
  image: string | null;
}

export interface PriceModelOptions {
  locale: string;
  /** Stock at or below this (and above 0) shows "Only n left". */
  lowStock: number;
  /** How long after a price drop the was/now pair is shown. */
  dropDays: number;
}

const DAY = 86_400_000;
/** Reference window for a drop: the lowest price of the 30 days before it, as the EU Omnibus rule asks. */
const REFERENCE_DAYS = 30;

// Labels for the languages the countdown speaks; other locales format numbers their way
// and use the English words.
const LABELS: Record<string, { soldOut: string; low: (n: string) => string }> = {
  en: { soldOut: "Sold out", low: (n) => `Only ${n} left` },
  de: { soldOut: "Ausverkauft", low: (n) => `Nur noch ${n} verfügbar` },
  fr: { soldOut: "Épuisé", low: (n) => `Plus que ${n} en stock` },
  es: { soldOut: "Agotado", low: (n) => `Solo quedan ${n}` },
  it: { soldOut: "Esaurito", low: (n) => `Solo ${n} rimasti` },
  nl: { soldOut: "Uitverkocht", low: (n) => `Nog maar ${n} op voorraad` },
  pt: { soldOut: "Esgotado", low: (n) => `Apenas ${n} restantes` },
};

/** Intl's narrow no-break space (fr, some currencies) is missing from the shipped fonts: use U+00A0. */
const tidy = (s: string) => s.replace(/\u202f/g, "\u00a0");

/** True when Intl knows the locale tag (validation of block options). */
export function isKnownLocale(tag: string): boolean {
  try {
    return Intl.NumberFormat.supportedLocalesOf([tag]).length > 0;
  } catch {
    return false;
  }
}

/**
 * The reference price: the merchant's compare-at price when it is higher; otherwise the
 * lowest price in effect during the 30 days before the current price took effect, shown
 * for `dropDays` after the drop. History is newest first.
 */
export function referencePrice(
  p: ProductRecord,
  history: readonly PricePoint[],
  now: number,
  dropDays: number,
): number | null {
  if (p.compareAtPrice !== null && p.compareAtPrice > p.price) return p.compareAtPrice;
  if (now - p.priceSince > dropDays * DAY) return null;
  const start = p.priceSince - REFERENCE_DAYS * DAY;
  let lowest: number | null = null;
  for (const h of history) {
    if (h.at >= p.priceSince || h.currency !== p.currency) continue;
    if (lowest === null || h.price < lowest) lowest = h.price;
    // The newest point at or before the window's start was in effect when it opened: it counts, older ones do not.
    if (h.at <= start) break;
  }
  return lowest !== null && lowest > p.price ? lowest : null;
}

/**
 * Until when a model computed at `now` stays right: it depends on the time only through
 * the drop window, so it can be reused per product version until the window closes.
 */
export function priceModelValidUntil(p: ProductRecord, now: number, dropDays: number): number {
  const closes = p.priceSince + dropDays * DAY;
  return now <= closes ? closes : Number.POSITIVE_INFINITY;
}

export function priceCardModel(
  p: ProductRecord,
  history: readonly PricePoint[],
  now: number,
  opts: PriceModelOptions,
): PriceCardModel {
  const money = new Intl.NumberFormat(opts.locale, { style: "currency", currency: p.currency });
  const labels = LABELS[opts.locale.slice(0, 2).toLowerCase()] ?? LABELS.en!;
  const ref = referencePrice(p, history, now, opts.dropDays);
  const soldOut = p.stock === 0;
  let discount: string | null = null;
  // Nothing is on offer when nothing is left: no badge (the was/now pair still tells the price).
  if (ref !== null && !soldOut) {
    const pct = Math.round(((ref - p.price) / ref) * 100);
    if (pct >= 1) discount = new Intl.NumberFormat(opts.locale, { style: "percent" }).format(-pct / 100);
  }
  let stockLabel: string | null = null;
  if (soldOut) stockLabel = labels.soldOut;
  else if (p.stock !== null && p.stock <= opts.lowStock)
    stockLabel = labels.low(new Intl.NumberFormat(opts.locale).format(p.stock));
  return {
    name: p.name,
    now: tidy(money.format(p.price)),
    was: ref !== null ? tidy(money.format(ref)) : null,
    discount: discount && tidy(discount),
    stockLabel: stockLabel && tidy(stockLabel),
    soldOut,
    image: p.imageUrl?.startsWith("data:image/") ? p.imageUrl : null,
  };
}
