import type { App } from "../app-env.js";
import { productId, productView } from "../catalog/schema.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";

/** GET /v1/products/:id — the product as cards see it now, with its price/stock history. */
export function registerProductsGet(app: App): void {
  app.get("/v1/products/:id", async (c) => {
    const s = c.get("services");
    if (!s.catalog) throw new ApiError("unavailable", "the product catalog is not available on this server");
    const id = parseParams(productId, c.req.param("id"), "path.id");
    const p = await s.catalog.get(id);
    if (!p) throw new ApiError("not_found", "no such product");
    return c.json(productView(p, await s.catalog.history(id)));
  });
}
