import { z } from "zod";
import type { App } from "../app-env.js";
import { readJson } from "../http/validate.js";
import { BLOCK_TYPES } from "../ports/index.js";
import { blockView, validateBlockOptions } from "./blocks-shared.js";

const body = z.object({ type: z.enum(BLOCK_TYPES), options: z.record(z.unknown()) }).strict();

export function registerBlocksCreate(app: App): void {
  app.post("/v1/blocks", async (c) => {
    const input = await readJson(c, body);
    const s = c.get("services");
    const options = validateBlockOptions(s, input.type, input.options);
    const now = s.clock.now();
    const block = {
      id: await s.blockIds.create(),
      type: input.type,
      options,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await s.store.blocks.create(block);
    return c.json(blockView(s, block), 201);
  });
}
