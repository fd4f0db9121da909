import type { Services } from "../build-services.js";
import { ApiError } from "../http/errors.js";
import type { BlockRecord } from "../ports/index.js";

/** The JSON a client sees for a block, with the URL to paste into the email. */
export function blockView(block: BlockRecord, publicUrl: string) {
  return {
    id: block.id,
    type: block.type,
    options: block.options,
    version: block.version,
    // Countdowns animate (GIF); cards are stills, sharper and smaller as PNG.
    url: `${publicUrl}/i/${block.id}.${block.type === "countdown" ? "gif" : "png"}`,
    createdAt: new Date(block.createdAt).toISOString(),
    updatedAt: new Date(block.updatedAt).toISOString(),
  };
}

/** Validates a block's options for its type; countdowns and price cards render today. */
export function validateBlockOptions(s: Services, type: string, options: unknown): Record<string, unknown> {
  if (type === "price") {
    const res = s.prices.parse(options);
    if (!res.ok) throw new ApiError("validation_failed", `options.${res.issues[0]}`, res.issues);
    return options as Record<string, unknown>;
  }
  if (type !== "countdown") {
    throw new ApiError("bad_request", `block type "${type}" is not available yet on this server`);
  }
  const res = s.images.parseCountdown(options);
  if (!res.ok) throw new ApiError("validation_failed", `options.${res.issues[0]}`, res.issues);
  return options as Record<string, unknown>;
}

export async function findBlock(s: Services, id: string): Promise<BlockRecord> {
  const block = (await s.blockIds.verify(id)) ? await s.store.blocks.get(id) : null;
  if (!block) throw new ApiError("not_found", "no such block");
  return block;
}
