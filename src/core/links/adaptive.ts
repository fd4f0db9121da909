import type { Services } from "../build-services.js";
import type { BlockRecord } from "../ports/index.js";
import { recsTileUrl } from "../recs/tile-link.js";
import { DEFAULT_VARIANT, SLOT_RE } from "../rules/variants.js";
import { NOT_FOUND_PAGE, type PlainResponse } from "../tracking/answers.js";
import { CAMPAIGN_RE, normalizeRecipient } from "../tracking/recipient.js";
import { destinationOf } from "./destination.js";

/**
 * What GET /c/:blockId/:slot?u= answers, as plain data: one behaviour for the Hono route
 * (routes/adaptive-link.ts) and the runtime fast path (tracking/fast-path.ts).
 *
 * The link under a live image goes where that image pointed when this recipient opened it:
 * the slot URL of the variant they were last shown (decision log), else the block's default
 * slot URL, else the dead-link page. Never an open redirect: the only URLs ever sent are
 * ones stored in the block's options (validated http(s) when the block was saved), recorded
 * as shown in the decision log. `u` only selects whose decision is read.
 */
export interface AdaptiveRequest {
  method: string;
  slot: string;
  /** One query parameter, decoded as Hono's c.req.query(name) decodes it. */
  query(name: string): string | undefined;
  userAgent: string | null;
  ip: string | null;
}

/** Block ids are signed and short; anything longer is not one (no HMAC work for it). */
const MAX_BLOCK_ID = 128;

const NOT_FOUND_HEADERS = {
  "Content-Type": "text/html; charset=UTF-8",
  "Cache-Control": "no-store",
  "X-Robots-Tag": "noindex",
} as const;
export const ADAPTIVE_NOT_FOUND: PlainResponse = {
  status: 404,
  headers: NOT_FOUND_HEADERS,
  body: NOT_FOUND_PAGE,
};

/** Whether the path's two segments can name a block slot at all (before any lookup). */
export function adaptivePathOk(blockId: string, slot: string): boolean {
  return SLOT_RE.test(slot) && blockId.length <= MAX_BLOCK_ID;
}

/** The block a verified id names, read through the image service's cache; null: none. */
export async function adaptiveBlock(s: Services, blockId: string): Promise<BlockRecord | null> {
  if (!s.images.isVerified(blockId)) {
    if (!(await s.blockIds.verify(blockId))) return null;
    s.images.markVerified(blockId);
  }
  return s.images.getBlock(blockId);
}

/** The block when this process already verified its id and holds it: the fast path's test. */
export function adaptiveBlockInMemory(s: Services, blockId: string): BlockRecord | null {
  return s.images.isVerified(blockId) ? s.images.cachedBlock(blockId) : null;
}

/** The campaign a block's opens count for, so its clicks land beside them. */
function campaignOf(block: BlockRecord): string {
  const c = block.options.campaign;
  return typeof c === "string" ? c : block.id;
}

export async function answerAdaptiveLink(
  s: Services,
  block: BlockRecord,
  req: AdaptiveRequest,
): Promise<PlainResponse> {
  const { slot } = req;
  let defaults: Record<string, string>;
  try {
    defaults = s.rules.rulesOf(block).default.slots;
  } catch {
    return ADAPTIVE_NOT_FOUND;
  }
  const recipient = normalizeRecipient(req.query("u"));
  let last = null;
  if (recipient) {
    // A recs block's latest open by this person is held in memory by this process.
    last = block.type === "recs" ? s.recsBlocks.lastOpen(block, recipient) : null;
    if (!last)
      try {
        last = await s.decisions.lastFor(block.id, recipient);
      } catch (err) {
        // The person still gets somewhere useful: the default, not an error page.
        s.logger.error({ err, block: block.id }, "decision lookup failed");
      }
  }
  // The click counts for the variant the person saw, even when that variant had no URL
  // in this slot and the default's is used.
  const variant = last?.variant ?? DEFAULT_VARIANT;
  const proof = req.query("us");
  // A recs tile: the product it showed this person (or would show now), checked against
  // the catalog as it is now; its own fallbacks, so never the dead-link page.
  const slotUrl =
    block.type === "recs"
      ? await recsTileUrl(s, block, slot, recipient, last, {
          us: proof,
          userAgent: req.userAgent,
          slotUrl: last?.slots[slot] ?? defaults[slot],
        })
      : (last?.slots[slot] ?? defaults[slot]);
  // As a tracked link's: the serialisation, which a Location header can always carry.
  let url = (slotUrl && destinationOf(slotUrl)) || null;
  // Some kinds decide where their links go (a poll's thank-you page, an offer's code added);
  // still only URLs stored in the block.
  const kind = s.blockKinds.get(block.type);
  const click = {
    slot,
    recipient,
    url,
    now: s.clock.now(),
    proven: async () =>
      !!recipient &&
      (!!s.unsignedProfiles || (await s.recipientProof.verify(recipient, proof).catch(() => false))),
  };
  if (kind?.clickTarget) {
    try {
      url = await kind.clickTarget(block, click);
    } catch (err) {
      s.logger.error({ err, block: block.id }, "click target failed");
    }
  }
  if (!url) return ADAPTIVE_NOT_FOUND;

  const { class: cls } = s.tracker.hit({
    kind: "click",
    campaign: campaignOf(block),
    // One "link" per block slot: distinct slots clicked in a burst read as a link scanner.
    linkId: `${block.id}/${slot}`,
    recipient,
    method: req.method,
    userAgent: req.userAgent,
    ip: req.ip,
  });
  // A poll's vote: humans only (never a scanner's or a proxy's click), and a GET.
  if (kind?.clicked && req.method === "GET") await kind.clicked(block, { ...click, human: cls === "human" });
  const at = s.clock.now();
  s.decisions.record({ kind: "click", at, blockId: block.id, recipient, variant, slot });
  // Only a person's click is a reward and a touch for attribution. `c` names the email's
  // campaign when the link carries it (a flow's step: learning/campaign.ts).
  if (cls === "human") {
    const emailCampaign = req.query("c");
    const campaign = emailCampaign && CAMPAIGN_RE.test(emailCampaign) ? emailCampaign : campaignOf(block);
    s.learner.click(block.id, variant, slot, recipient, url, campaign, at);
  }
  return {
    status: 302,
    headers: {
      Location: url,
      // Every click must reach us (it is counted, and the answer depends on the last open).
      "Cache-Control": "no-store",
      // The adaptive link carries the recipient in `u`: never leak it to the destination.
      "Referrer-Policy": "no-referrer",
    },
    body: null,
  };
}
