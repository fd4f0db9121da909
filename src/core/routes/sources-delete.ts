import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { sourceParam, sourceStoreOf } from "./sources-shared.js";

/** DELETE /v1/sources/:id — data blocks reading it show their `unavailable` card from then on. */
export function registerSourcesDelete(app: App): void {
  app.delete("/v1/sources/:id", async (c) => {
    const store = sourceStoreOf(c);
    const id = sourceParam(c);
    if (!(await store.delete(id))) throw new ApiError("not_found", "no such source");
    c.get("services").sourceService.forget(id);
    return c.body(null, 204);
  });
}
