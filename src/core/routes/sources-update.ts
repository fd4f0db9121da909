import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { sourceInput, sourceView } from "../live/source-schema.js";
import { sourceParam, sourceStoreOf } from "./sources-shared.js";

/** PUT /v1/sources/:id — replaces the source; the next open fetches from the new definition. */
export function registerSourcesUpdate(app: App): void {
  app.put("/v1/sources/:id", async (c) => {
    const store = sourceStoreOf(c);
    const id = sourceParam(c);
    const input = await readJson(c, sourceInput);
    const old = await store.get(id);
    if (!old) throw new ApiError("not_found", "no such source");
    const s = c.get("services");
    // updatedAt is part of the cache key: values of the old definition are never served again.
    const source = {
      ...input,
      id,
      name: input.name ?? old.name,
      createdAt: old.createdAt,
      updatedAt: Math.max(s.clock.now(), old.updatedAt + 1),
    };
    await store.save(source);
    s.sourceService.forget(id);
    return c.json(sourceView(source));
  });
}
