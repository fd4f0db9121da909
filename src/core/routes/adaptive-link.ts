import type { Context } from "hono";
import type { App, AppEnv } from "../app-env.js";
import { clientIp } from "../http/middleware.js";
import { destinationOf } from "../links/destination.js";
import type { BlockRecord } from "../ports/index.js";
import { recsTileUrl } from "../recs/tile-link.js";
import { DEFAULT_VARIANT, SLOT_RE } from "../rules/variants.js";
import { NOT_FOUND_PAGE } from "../tracking/answers.js";
import { CAMPAIGN_RE, normalizeRecipient } from "../tracking/recipient.js";

/** Block ids are signed and short; anything longer is not one (no HMAC work for it). */
const MAX_BLOCK_ID = 128;

function notFound(c: Context<AppEnv>) {
  return c.html(NOT_FOUND_PAGE, 404, { "Cache-Control": "no-store", "X-Robots-Tag": "noindex" });
}

/** The campaign a block's opens count for, so its clicks land beside them. */
function campaignOf(block: BlockRecord): string {
  const c = block.options.campaign;
  return typeof c === "string" ? c : block.id;
}

/**
 * GET /c/:blockId/:slot?u= — the link under a live image goes where that image pointed
 * when this recipient opened it: the slot URL of the variant they were last shown
 * (decision log), else the block's default slot URL, else the dead-link page.
 *
 * Never an open redirect: the only URLs ever sent are ones stored in the block's options
 * (validated http(s) when the block was saved), recorded as shown in the decision log.
 * `u` only selects whose decision is read; it never adds a destination.
 */
async function handleAdaptiveLink(c: Context<AppEnv>) {
  const s = c.get("services");
  const blockId = c.req.param("blockId")!;
  const slot = c.req.param("slot")!;
  if (!SLOT_RE.test(slot) || blockId.length > MAX_BLOCK_ID) return notFound(c);
  if (!s.images.isVerified(blockId)) {
    if (!(await s.blockIds.verify(blockId))) return notFound(c);
    s.images.markVerified(blockId);
  }
  const block = await s.images.getBlock(blockId);
  if (!block) return notFound(c);
  let defaults: Record<string, string>;
  try {
    defaults = s.rules.rulesOf(block).default.slots;
  } catch {
    return notFound(c);
  }
  const recipient = normalizeRecipient(c.req.query("u"));
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
  // A recs tile: the product it showed this person (or would show now), checked against
  // the catalog as it is now; its own fallbacks, so never the dead-link page.
  const slotUrl =
    block.type === "recs"
      ? await recsTileUrl(s, block, slot, recipient, last, {
          us: c.req.query("us"),
          userAgent: c.req.header("user-agent") ?? null,
          slotUrl: last?.slots[slot] ?? defaults[slot],
        })
      : (last?.slots[slot] ?? defaults[slot]);
  // As a tracked link's: the serialisation, which a Location header can always carry.
  let url = (slotUrl && destinationOf(slotUrl)) || null;
  // Some kinds decide where their links go (a poll's thank-you page, an offer's code added);
  // still only URLs stored in the block.
  const kind = s.blockKinds.get(block.type);
  const proof = c.req.query("us");
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
  if (!url) return notFound(c);

  const { class: cls } = s.tracker.hit({
    kind: "click",
    campaign: campaignOf(block),
    // One "link" per block slot: distinct slots clicked in a burst read as a link scanner.
    linkId: `${block.id}/${slot}`,
    recipient,
    method: c.req.method,
    userAgent: c.req.header("user-agent") ?? null,
    ip: clientIp(c),
  });
  // A poll's vote: humans only (never a scanner's or a proxy's click), and a GET.
  if (kind?.clicked && c.req.method === "GET")
    await kind.clicked(block, { ...click, human: cls === "human" });
  const at = s.clock.now();
  s.decisions.record({ kind: "click", at, blockId: block.id, recipient, variant, slot });
  // Only a person's click is a reward and a touch for attribution. `c` names the email's
  // campaign when the link carries it (a flow's step: learning/campaign.ts).
  if (cls === "human") {
    const emailCampaign = c.req.query("c");
    const campaign = emailCampaign && CAMPAIGN_RE.test(emailCampaign) ? emailCampaign : campaignOf(block);
    s.learner.click(block.id, variant, slot, recipient, url, campaign, at);
  }
  // An empty string, not null: Node's adapter answers a string body from its fast path
  // (Content-Length: 0), while a null body builds a full Fetch Response and goes chunked.
  return c.body("", 302, {
    Location: url,
    // Every click must reach us (it is counted, and the answer depends on the last open).
    "Cache-Control": "no-store",
    // The adaptive link carries the recipient in `u`: never leak it to the destination.
    "Referrer-Policy": "no-referrer",
  });
}

export function registerAdaptiveLink(app: App): void {
  // HEAD like GET (same status and Location) and counted, as for tracked links.
  app.on(["GET", "HEAD"], "/c/:blockId/:slot", handleAdaptiveLink);
}
