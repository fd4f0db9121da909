import { z } from "zod";
import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { dict } from "../util/dict.js";
import { blockView, findBlock, validateBlockOptions } from "./blocks-shared.js";

// One action per call: show one member to everyone, go back to the fixed weights, or learn again.
const body = z.union([
  z.object({ pin: z.string().min(1).max(64) }).strict(),
  z.object({ stop: z.literal(true) }).strict(),
  z.object({ resume: z.literal(true) }).strict(),
]);

/**
 * POST /v1/blocks/:id/splits/:group — pin a winner (`{"pin":"b"}`), stop learning
 * (`{"stop":true}`: the fixed weights again) or resume (`{"resume":true}`: unpinned,
 * learning). Written into the block's `splits` settings, so the next open sees it; the
 * counters are kept either way.
 */
export function registerBlocksSplit(app: App): void {
  app.post("/v1/blocks/:id/splits/:group", async (c) => {
    const input = await readJson(c, body);
    const s = c.get("services");
    const block = await findBlock(s, c.req.param("id"));
    const group = c.req.param("group");
    const splits = block.options.splits as Record<string, Record<string, unknown>> | undefined;
    const current = splits && Object.hasOwn(splits, group) ? splits[group] : undefined;
    if (!current) throw new ApiError("not_found", `split "${group}" has no learning settings on this block`);
    const next =
      "pin" in input
        ? { ...current, pin: input.pin, stopped: false }
        : "stop" in input
          ? { ...current, pin: null, stopped: true }
          : { ...current, pin: null, stopped: false };
    const nextSplits = dict(splits);
    nextSplits[group] = next;
    const options = validateBlockOptions(s, block.type, { ...block.options, splits: nextSplits });
    const updated = await s.store.blocks.update(block.id, options, s.clock.now());
    s.images.forgetBlock(block.id);
    if (!updated) throw new ApiError("not_found", "no such block");
    return c.json(blockView(s, updated));
  });
}
