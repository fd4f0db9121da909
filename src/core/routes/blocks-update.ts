import { z } from "zod";
import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { blockView, findBlock, validateBlockOptions } from "./blocks-shared.js";

// A patch merges into the stored options (a key set to null is removed), so changing the
// deadline after the send is `{"options":{"deadline":"…"}}`; the next open shows it.
const body = z.object({ options: z.record(z.unknown()) }).strict();

export function registerBlocksUpdate(app: App): void {
  app.patch("/v1/blocks/:id", async (c) => {
    const input = await readJson(c, body);
    const s = c.get("services");
    const block = await findBlock(s, c.req.param("id"));
    const merged: Record<string, unknown> = { ...block.options };
    for (const [k, v] of Object.entries(input.options)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    const options = validateBlockOptions(s, block.type, merged);
    const updated = await s.store.blocks.update(block.id, options, s.clock.now());
    s.images.forgetBlock(block.id);
    if (!updated) throw new ApiError("not_found", "no such block");
    return c.json(blockView(s, updated));
  });
}
