import type { App } from "../app-env.js";
import { readJson } from "../http/validate.js";
import { sourceInput, sourceView } from "../live/source-schema.js";
import { base64url } from "../util/encoding.js";
import { sourceStoreOf } from "./sources-shared.js";

/** POST /v1/sources — a JSON or CSV URL that data blocks read at open. */
export function registerSourcesCreate(app: App): void {
  app.post("/v1/sources", async (c) => {
    const store = sourceStoreOf(c);
    const input = await readJson(c, sourceInput);
    const s = c.get("services");
    const now = s.clock.now();
    const id = `src_${base64url(s.random(12))}`;
    const source = { ...input, id, name: input.name ?? id, createdAt: now, updatedAt: now };
    await store.save(source);
    return c.json(sourceView(source), 201);
  });
}
