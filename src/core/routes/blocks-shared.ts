import type { Services } from "../build-services.js";
import { ApiError } from "../http/errors.js";
import type { BlockRecord } from "../ports/index.js";
import { validateWithRules } from "../rules/variants.js";

/** The JSON a client sees for a block, with the URL to paste into the email. */
export function blockView(s: Services, block: BlockRecord) {
  const ext = s.blockKinds.get(block.type)?.defaultExt ?? "png";
  return {
    id: block.id,
    type: block.type,
    options: block.options,
    version: block.version,
    url: `${s.config.publicUrl}/i/${block.id}.${ext}`,
    createdAt: new Date(block.createdAt).toISOString(),
    updatedAt: new Date(block.updatedAt).toISOString(),
  };
}

/**
 * Validates a block's options for its type (400 with the first issue; all in details),
 * with its variants and slots: each variant's merged options must pass the type's parser too.
 */
export function validateBlockOptions(s: Services, type: string, options: unknown): Record<string, unknown> {
  const kind = s.blockKinds.get(type);
  if (!kind) throw new ApiError("bad_request", `block type "${type}" is not available yet on this server`);
  const res = validateWithRules(options as Record<string, unknown>, (o) => kind.parse(o));
  if (!res.ok) throw new ApiError("validation_failed", `options.${res.issues[0]}`, res.issues);
  return options as Record<string, unknown>;
}

export async function findBlock(s: Services, id: string): Promise<BlockRecord> {
  const block = (await s.blockIds.verify(id)) ? await s.store.blocks.get(id) : null;
  if (!block) throw new ApiError("not_found", "no such block");
  return block;
}
