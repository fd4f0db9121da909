import {
  type CatalogStore,
  catalogChange,
  MAX_HISTORY_PER_PRODUCT,
  normalizeProduct,
  type PricePoint,
  type ProductRecord,
  priceOrStockChanged,
  productChanged,
  type UpsertResult,
} from "../ports/catalog.js";

/** In-memory CatalogStore for core tests. Passes the same contract suite as SQLite. */
export function createMemoryCatalogStore(): CatalogStore {
  const products = new Map<string, ProductRecord>();
  const history = new Map<string, PricePoint[]>(); // oldest first
  const point = (p: ProductRecord, at: number): PricePoint => ({
    at,
    price: p.price,
    currency: p.currency,
    stock: p.stock,
  });
  return {
    async upsertMany(inputs, at) {
      const result: UpsertResult = { created: 0, updated: 0, unchanged: 0, changes: [] };
      for (const input of inputs) {
        const next = normalizeProduct(input);
        const old = products.get(next.id);
        const change = old ? catalogChange(old, next) : null;
        if (change) result.changes!.push(change);
        let rec: ProductRecord;
        if (!old) {
          rec = { ...next, version: 1, createdAt: at, updatedAt: at, priceSince: at };
          result.created++;
        } else if (!productChanged(old, next)) {
          result.unchanged++;
          continue;
        } else {
          const repriced = old.price !== next.price || old.currency !== next.currency;
          rec = {
            ...next,
            version: old.version + 1,
            createdAt: old.createdAt,
            updatedAt: at,
            priceSince: repriced ? at : old.priceSince,
          };
          result.updated++;
        }
        products.set(rec.id, rec);
        if (!old || priceOrStockChanged(old, next)) {
          const h = history.get(rec.id) ?? [];
          h.push(point(rec, at));
          if (h.length > MAX_HISTORY_PER_PRODUCT) h.splice(0, h.length - MAX_HISTORY_PER_PRODUCT);
          history.set(rec.id, h);
        }
      }
      return result;
    },
    async get(id) {
      const p = products.get(id);
      return p ? { ...p, tags: [...p.tags] } : null;
    },
    async history(id, limit = MAX_HISTORY_PER_PRODUCT) {
      const h = history.get(id) ?? [];
      return h
        .slice(-Math.min(limit, MAX_HISTORY_PER_PRODUCT))
        .reverse()
        .map((x) => ({ ...x }));
    },
  };
}
