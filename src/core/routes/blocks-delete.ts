import type { App } from "../app-env.js";
import { findBlock } from "./blocks-shared.js";

export function registerBlocksDelete(app: App): void {
  // After deletion the image URL answers the neutral fallback image, never a broken one.
  app.delete("/v1/blocks/:id", async (c) => {
    const s = c.get("services");
    const block = await findBlock(s, c.req.param("id"));
    await s.store.blocks.delete(block.id);
    s.images.forgetBlock(block.id);
    // What it showed whom goes with it: nothing can resolve an adaptive link to it any more.
    await s.decisions.deleteBlock(block.id);
    await s.learner.deleteBlock(block.id);
    return c.body(null, 204);
  });
}
