import type { ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { OpenContext, RenderedBlock } from "../blocks/kinds.js";
import type { Services } from "../build-services.js";
import type { BlockRecord } from "../ports/index.js";
import type { Profile } from "../ports/profiles.js";
import type { Chosen } from "./engine.js";

export interface OpenInput {
  recipient: string | null;
  userAgent: string | null;
  now: number;
  query: (name: string) => string | undefined;
  preview?: boolean;
}

/** The OpenContext of one open (or preview), with the profile looked up at most once. */
export function openContext(s: Services, input: OpenInput): OpenContext {
  let profile: Promise<Profile | null> | undefined;
  let proven: Promise<boolean> | undefined;
  const { recipient } = input;
  const isProven = () => {
    proven ??= !recipient
      ? Promise.resolve(false)
      : input.preview || s.unsignedProfiles
        ? Promise.resolve(true)
        : s.recipientProof.verify(recipient, input.query("us")).catch(() => false);
    return proven;
  };
  const lookUp = async (): Promise<Profile | null> => {
    if (!recipient || !s.profiles) return null;
    return (await isProven()) ? s.profiles.find(recipient, { history: false }).catch(() => null) : null;
  };
  return {
    ...input,
    proven: isProven,
    // Looked up only by what uses it (banners, rules on profile fields); a read, never a
    // write. Only for an open that proves it was written for this recipient (`us`), or a
    // preview (operator-authenticated): see profiles/recipient-proof.ts.
    profile: () => {
      profile ??= lookUp();
      return profile;
    },
  };
}

export interface RenderedOpen extends Chosen, RenderedBlock {
  slots: Record<string, string>;
  /** The kind chose per open what its links point to (recs tiles): the open must be recorded. */
  decides: boolean;
}

/**
 * A stored block as one open sees it: its variant chosen (or forced, for the preview),
 * then rendered by the block's kind from that variant's options. The same path serves
 * /i/ and the preview, so a preview is exactly what that recipient would be shown.
 */
export async function renderStoredOpen(
  s: Services,
  block: BlockRecord,
  ext: ImageExt,
  open: OpenContext,
  opts: { ip?: string | null; variant?: string } = {},
): Promise<RenderedOpen> {
  const kind = s.blockKinds.get(block.type);
  if (!kind) throw new RenderError("renderer_unavailable");
  const chosen =
    opts.variant !== undefined
      ? s.rules.forced(block, opts.variant)
      : await s.rules.choose(block, open, opts);
  if (!chosen) throw new RenderError("unknown_variant");
  const { image, campaign, fallback, slots } = await kind.render(chosen.block, ext, open);
  return {
    ...chosen,
    slots: slots ? { ...chosen.slots, ...slots } : chosen.slots,
    decides: slots !== undefined,
    image,
    campaign,
    fallback,
  };
}
