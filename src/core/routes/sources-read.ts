import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { sourceView } from "../live/source-schema.js";
import { sourceParam, sourceStoreOf } from "./sources-shared.js";

/**
 * GET /v1/sources/:id — the source, its cached value as an open would read it now (without
 * a recipient: a per-recipient source answers source_needs_recipient) and its history.
 */
export function registerSourcesRead(app: App): void {
  app.get("/v1/sources/:id", async (c) => {
    const store = sourceStoreOf(c);
    const source = await store.get(sourceParam(c));
    if (!source) throw new ApiError("not_found", "no such source");
    const s = c.get("services");
    const reading = await s.sourceService.read(source, { recipient: null, profile: async () => null });
    const now = s.clock.now();
    return c.json({
      ...sourceView(source),
      current: {
        value: reading.value,
        fetchedAt: reading.at,
        ageMs: reading.at === null ? null : now - reading.at,
        miss: reading.miss,
      },
      history: s.sourceService.history(source.id),
    });
  });
}
