import doc from "../../../docs/openapi.json" with { type: "json" };
import type { App } from "../app-env.js";

/**
 * GET /openapi.json — the public HTTP contract as OpenAPI 3.1 (docs/openapi.json, bundled
 * into the app so it needs no file system). Documentation only: no key.
 */
export function registerOpenApi(app: App): void {
  app.get("/openapi.json", (c) => c.json(doc, 200, { "Cache-Control": "public, max-age=300" }));
}
