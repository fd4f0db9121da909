import { describe, expect, it } from "vitest";
import { priceCardModel, referencePrice } from "../../src/core/cards/price-model.js";
import type { PricePoint, ProductRecord } from "../../src/core/ports/catalog.js";

const DAY = 86_400_000;
const T = Date.parse("2026-11-27T09:00:00Z");
const product = (over: Partial<ProductRecord> = {}): ProductRecord => ({
  id: "sku-1",
  name: "Trail shoe",
  price: 80,
  currency: "EUR",
  compareAtPrice: null,
  stock: 12,
  imageUrl: null,
  url: null,
  category: null,
  brand: null,
  tags: [],
  version: 2,
  createdAt: T - 60 * DAY,
  updatedAt: T,
  priceSince: T,
  ...over,
});
const pt = (at: number, price: number, stock: number | null = 12): PricePoint => ({
  at,
  price,
  currency: "EUR",
  stock,
});
const opts = { locale: "en-US", lowStock: 5, dropDays: 30 };

describe("price card model", () => {
  it("shows was/now and the drop after a price change, formatted for the locale", () => {
    const h = [pt(T, 80), pt(T - 40 * DAY, 100)];
    expect(priceCardModel(product(), h, T + DAY, opts)).toMatchObject({
      now: "€80.00",
      was: "€100.00",
      discount: "-20%",
      stockLabel: null,
    });
    const de = priceCardModel(product(), h, T + DAY, { ...opts, locale: "de-DE" });
    expect([de.now, de.was, de.discount]).toEqual(["80,00\u00a0€", "100,00\u00a0€", "-20\u00a0%"]);
  });

  it("takes the lowest price of the 30 days before the drop as the reference (EU Omnibus)", () => {
    // 120 until day -20, then 90 for a week, then 100, now 80: the reference is 90.
    const h = [pt(T, 80), pt(T - 13 * DAY, 100), pt(T - 20 * DAY, 90), pt(T - 90 * DAY, 120)];
    expect(referencePrice(product(), h, T, 30)).toBe(90);
    // A price from before the window that changed inside it still counts for its days inside.
    expect(referencePrice(product(), [pt(T, 80), pt(T - 90 * DAY, 120)], T, 30)).toBe(120);
  });

  it("shows no drop for a rise, an old drop, or a new product; the merchant's compare-at price wins", () => {
    expect(referencePrice(product(), [pt(T, 80), pt(T - DAY, 70)], T, 30)).toBeNull();
    expect(referencePrice(product(), [pt(T, 80), pt(T - DAY, 100)], T + 31 * DAY, 30)).toBeNull();
    expect(referencePrice(product(), [pt(T, 80)], T, 30)).toBeNull();
    expect(referencePrice(product({ compareAtPrice: 129 }), [pt(T, 80)], T + 99 * DAY, 30)).toBe(129);
  });

  it("says low stock and sold out in the card's language; untracked stock says nothing", () => {
    expect(priceCardModel(product({ stock: 3 }), [], T, opts).stockLabel).toBe("Only 3 left");
    expect(priceCardModel(product({ stock: 0 }), [], T, { ...opts, locale: "de" })).toMatchObject({
      stockLabel: "Ausverkauft",
      soldOut: true,
    });
    expect(priceCardModel(product({ stock: null }), [], T, opts).stockLabel).toBeNull();
    expect(priceCardModel(product({ stock: 6 }), [], T, opts).stockLabel).toBeNull();
  });

  it("draws only data: images (remote ones are never fetched at render time)", () => {
    expect(priceCardModel(product({ imageUrl: "https://cdn.example/x.png" }), [], T, opts).image).toBeNull();
    expect(priceCardModel(product({ imageUrl: "data:image/png;base64,AAAA" }), [], T, opts).image).toBe(
      "data:image/png;base64,AAAA",
    );
  });
});
