import type { App } from "../app-env.js";
import { MAX_PRODUCTS_PER_CALL, productsBody } from "../catalog/schema.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";

/**
 * PUT /v1/products — bulk upsert of up to MAX_PRODUCTS_PER_CALL products in one
 * transaction (all or none). Unchanged products keep their version, so a feed re-sent every
 * few minutes does not invalidate rendered cards; price or stock changes append history.
 */
export function registerProductsUpsert(app: App): void {
  app.put("/v1/products", async (c) => {
    const s = c.get("services");
    if (!s.catalog) throw new ApiError("unavailable", "the product catalog is not available on this server");
    const { products } = await readJson(c, productsBody);
    const { created, updated, unchanged } = await s.catalog.upsertMany(products, s.clock.now());
    for (const p of products) {
      s.prices.forgetProduct(p.id);
      s.recsBlocks.forgetProduct(p.id);
    }
    return c.json({ created, updated, unchanged, limit: MAX_PRODUCTS_PER_CALL });
  });
}
