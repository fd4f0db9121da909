import type Database from "better-sqlite3";
import {
  type CatalogStore,
  catalogChange,
  MAX_HISTORY_PER_PRODUCT,
  normalizeProduct,
  type PricePoint,
  type ProductInput,
  type ProductRecord,
  priceOrStockChanged,
  productChanged,
  type UpsertResult,
} from "../../core/ports/catalog.js";
import { immediate } from "./write-lock.js";

type ProductRow = {
  id: string;
  name: string;
  price: number;
  currency: string;
  compare_at_price: number | null;
  stock: number | null;
  image_url: string | null;
  url: string | null;
  category: string | null;
  brand: string | null;
  /** JSON array; NULL when empty (and in rows written before migration 5). */
  tags: string | null;
  version: number;
  created_at: number;
  updated_at: number;
  price_since: number;
};

const toProduct = (r: ProductRow): ProductRecord => ({
  id: r.id,
  name: r.name,
  price: r.price,
  currency: r.currency,
  compareAtPrice: r.compare_at_price,
  stock: r.stock,
  imageUrl: r.image_url,
  url: r.url,
  category: r.category,
  brand: r.brand,
  tags: r.tags ? (JSON.parse(r.tags) as string[]) : [],
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  priceSince: r.price_since,
});

/** The catalog in the same SQLite file as the rest (migrations 4, 5). Writes are one transaction per call. */
/**
 * Upserts products in one transaction, appending history where price or stock changed.
 * IMMEDIATE: other connections write this file too; a deferred transaction that reads, then
 * writes, fails at once with SQLITE_BUSY (the busy timeout cannot help a read lock upgrade
 * in WAL). Taking the write lock first waits.
 */
export function createProductUpserter(
  db: Database.Database,
): (products: readonly ProductInput[], at: number) => UpsertResult {
  const byId = db.prepare("SELECT * FROM products WHERE id = ?");
  const upsert = db.prepare(
    `INSERT INTO products (id, name, price, currency, compare_at_price, stock, image_url, url,
                           category, brand, tags, version, created_at, updated_at, price_since)
       VALUES (@id, @name, @price, @currency, @compareAtPrice, @stock, @imageUrl, @url,
               @category, @brand, @tags, @version, @createdAt, @updatedAt, @priceSince)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price,
         currency = excluded.currency, compare_at_price = excluded.compare_at_price,
         stock = excluded.stock, image_url = excluded.image_url, url = excluded.url,
         category = excluded.category, brand = excluded.brand, tags = excluded.tags,
         version = excluded.version, updated_at = excluded.updated_at, price_since = excluded.price_since`,
  );
  const addPoint = db.prepare(
    "INSERT INTO product_history (product_id, at, price, currency, stock) VALUES (?, ?, ?, ?, ?)",
  );
  // Keeps the newest MAX_HISTORY_PER_PRODUCT points; runs only when a point was added.
  const trim = db.prepare(
    `DELETE FROM product_history WHERE product_id = ? AND seq <= (
       SELECT seq FROM product_history WHERE product_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
  );

  const upsertAll = immediate(db, (inputs: Parameters<CatalogStore["upsertMany"]>[0], at: number) => {
    const result: UpsertResult = { created: 0, updated: 0, unchanged: 0, changes: [] };
    for (const input of inputs) {
      const next = normalizeProduct(input);
      const row = byId.get(next.id) as ProductRow | undefined;
      const old = row ? toProduct(row) : null;
      const change = old ? catalogChange(old, next) : null;
      if (change) result.changes!.push(change);
      if (old && !productChanged(old, next)) {
        result.unchanged++;
        continue;
      }
      const repriced = !old || old.price !== next.price || old.currency !== next.currency;
      upsert.run({
        ...next,
        tags: next.tags.length > 0 ? JSON.stringify(next.tags) : null,
        version: old ? old.version + 1 : 1,
        createdAt: old?.createdAt ?? at,
        updatedAt: at,
        priceSince: repriced ? at : old!.priceSince,
      });
      if (old) result.updated++;
      else result.created++;
      if (!old || priceOrStockChanged(old, next)) {
        addPoint.run(next.id, at, next.price, next.currency, next.stock);
        trim.run(next.id, next.id, MAX_HISTORY_PER_PRODUCT);
      }
    }
    return result;
  });
  return (products, at) => upsertAll(products, at);
}

/**
 * With `upsertOffThread` (the server: the event-writer thread), writes are committed there
 * and reads stay on this connection: a 1,000-product PUT held the main thread ~25 ms with
 * its transaction and fsync, and opens served meanwhile saw p99 go 6 → 23 ms.
 */
export function createSqliteCatalogStore(
  db: Database.Database,
  opts: { upsertOffThread?: CatalogStore["upsertMany"] } = {},
): CatalogStore {
  const upsertHere = opts.upsertOffThread ? null : createProductUpserter(db);
  const byId = db.prepare("SELECT * FROM products WHERE id = ?");
  const historyOf = db.prepare(
    "SELECT at, price, currency, stock FROM product_history WHERE product_id = ? ORDER BY seq DESC LIMIT ?",
  );
  return {
    async upsertMany(products, at) {
      return upsertHere ? upsertHere(products, at) : opts.upsertOffThread!(products, at);
    },
    async get(id) {
      const r = byId.get(id) as ProductRow | undefined;
      return r ? toProduct(r) : null;
    },
    async history(id, limit = MAX_HISTORY_PER_PRODUCT) {
      return historyOf.all(id, Math.min(limit, MAX_HISTORY_PER_PRODUCT)) as PricePoint[];
    },
  };
}
