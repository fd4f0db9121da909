import type { App } from "../app-env.js";
import { blockView } from "./blocks-shared.js";

/** GET /v1/blocks — the most recently changed blocks first (≤ 200). */
export function registerBlocksList(app: App): void {
  app.get("/v1/blocks", async (c) => {
    const s = c.get("services");
    const blocks = (await s.store.blocks.list?.(200)) ?? [];
    return c.json({ blocks: blocks.map((b) => blockView(s, b)) });
  });
}
