// The product catalog port: what price cards need from a store. SQLite implements it in
// src/node/sqlite/catalog-store.ts; the in-memory fake is src/core/testing/memory-catalog-store.ts.

/** A product as the operator sends it (PUT /v1/products). Prices are in major units (79.9 = €79.90). */
export interface ProductInput {
  id: string;
  name: string;
  price: number;
  /** ISO 4217 code, e.g. "EUR". */
  currency: string;
  /** The merchant's own reference price ("compare at"); when absent the card derives one from history. */
  compareAtPrice?: number | null;
  /** Units in stock; null or absent: stock is not tracked (never "sold out"). */
  stock?: number | null;
  /** http(s) or data:image URL; http(s) images are fetched through the guarded Fetcher. */
  imageUrl?: string | null;
  /** The product page, for the operator's own links. */
  url?: string | null;
  category?: string | null;
  brand?: string | null;
  /** Free-form labels (recommendations and rules pick on them); order is kept. */
  tags?: readonly string[] | null;
}

export interface ProductRecord {
  id: string;
  name: string;
  price: number;
  currency: string;
  compareAtPrice: number | null;
  stock: number | null;
  imageUrl: string | null;
  url: string | null;
  category: string | null;
  brand: string | null;
  /** Empty when the product has none. */
  tags: string[];
  /** Bumped only when something changed, so re-sending an unchanged feed keeps render caches warm. */
  version: number;
  createdAt: number;
  updatedAt: number;
  /** When the current price took effect (a drop is judged from here). */
  priceSince: number;
}

/** One change of price or stock, appended when either changes (and on creation). */
export interface PricePoint {
  at: number;
  price: number;
  currency: string;
  stock: number | null;
}

export interface UpsertResult {
  created: number;
  updated: number;
  unchanged: number;
  /** Price drops and restocks among the updated products (flows' catalog triggers). */
  changes?: CatalogChange[];
}

/** A change a person watching the product may care about (see catalogChange). */
export interface CatalogChange {
  productId: string;
  change: "price_drop" | "back_in_stock";
  before: { price: number; stock: number | null };
  /** The product as it is now (what a template shows). */
  after: {
    price: number;
    stock: number | null;
    currency: string;
    name: string;
    url: string | null;
    imageUrl: string | null;
  };
}

/** Points kept per product: enough for months of daily price changes, bounded per product. */
export const MAX_HISTORY_PER_PRODUCT = 200;

export interface CatalogStore {
  /** Inserts or replaces many products in ONE transaction, appending history where price or stock changed. */
  upsertMany(products: readonly ProductInput[], at: number): Promise<UpsertResult>;
  get(id: string): Promise<ProductRecord | null>;
  /** Newest first, at most `limit` (≤ MAX_HISTORY_PER_PRODUCT). */
  history(id: string, limit?: number): Promise<PricePoint[]>;
}

/** Normalises an input to the stored shape (absent optional fields become null). */
export function normalizeProduct(p: ProductInput) {
  return {
    id: p.id,
    name: p.name,
    price: p.price,
    currency: p.currency,
    compareAtPrice: p.compareAtPrice ?? null,
    stock: p.stock ?? null,
    imageUrl: p.imageUrl ?? null,
    url: p.url ?? null,
    category: p.category ?? null,
    brand: p.brand ?? null,
    tags: p.tags ? [...p.tags] : [],
  };
}

/** True when a stored product differs from an input in anything a card or a client can see. */
export function productChanged(old: ProductRecord, next: ReturnType<typeof normalizeProduct>): boolean {
  return (
    old.name !== next.name ||
    old.price !== next.price ||
    old.currency !== next.currency ||
    old.compareAtPrice !== next.compareAtPrice ||
    old.stock !== next.stock ||
    old.imageUrl !== next.imageUrl ||
    old.url !== next.url ||
    old.category !== next.category ||
    old.brand !== next.brand ||
    old.tags.length !== next.tags.length ||
    old.tags.some((t, i) => t !== next.tags[i])
  );
}

/** A history point is appended when the price, its currency or the stock changes. */
/**
 * The one rule for what counts as a price drop (same currency, lower price) or a restock
 * (tracked stock from 0 to more); every CatalogStore adapter reports its updates through it.
 */
export function catalogChange(
  old: ProductRecord,
  next: ReturnType<typeof normalizeProduct>,
): CatalogChange | null {
  const before = { price: old.price, stock: old.stock };
  const after = {
    price: next.price,
    stock: next.stock,
    currency: next.currency,
    name: next.name,
    url: next.url,
    imageUrl: next.imageUrl,
  };
  if (old.stock !== null && old.stock <= 0 && next.stock !== null && next.stock > 0)
    return { productId: next.id, change: "back_in_stock", before, after };
  if (old.currency === next.currency && next.price < old.price)
    return { productId: next.id, change: "price_drop", before, after };
  return null;
}

export function priceOrStockChanged(old: ProductRecord, next: ReturnType<typeof normalizeProduct>): boolean {
  return old.price !== next.price || old.currency !== next.currency || old.stock !== next.stock;
}
