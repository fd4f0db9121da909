import type { App } from "../app-env.js";
import { sourceView } from "../live/source-schema.js";
import { sourceStoreOf } from "./sources-shared.js";

/** GET /v1/sources — every source, oldest first. */
export function registerSourcesList(app: App): void {
  app.get("/v1/sources", async (c) => {
    const store = sourceStoreOf(c);
    return c.json({ sources: (await store.list()).map(sourceView) });
  });
}
