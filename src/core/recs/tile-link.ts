import type { Services } from "../build-services.js";
import type { LastDecision } from "../ports/decisions.js";
import type { BlockRecord } from "../ports/index.js";
import { openContext } from "../rules/render-open.js";
import { DEFAULT_VARIANT, isHttpUrl } from "../rules/variants.js";
import {
  categoryPage,
  PERSONAL_SLOT,
  type RecsOptions,
  TILE_CATEGORY,
  TILE_PRODUCT,
  TILE_SLOT_RE,
  tileUrl,
} from "./block.js";
import { inStock } from "./engine.js";

/**
 * Where `GET /c/:blockId/tileN?u=` goes for a recs block (README "Recommendations"):
 * 1. the product tile N showed this recipient at their latest open, at its catalog URL now;
 *    sold out or removed since → its category page (block `categoryUrl`) → the block's `fallbackUrl`;
 * 2. no open recorded (images blocked, a click before load) → what the engine would choose now;
 * 3. a tile beyond the block's count, a tile that showed no product, or a slot that is no
 *    tile and not one of the block's own `slots` → `fallbackUrl`.
 * Only catalog and block URLs are ever returned (never a query parameter). A decision that
 * read the person's profile is followed only with a valid `us` (or unsigned profiles on):
 * otherwise anyone could learn, from `u` alone, which products a person was shown.
 */
export async function recsTileUrl(
  s: Services,
  block: BlockRecord,
  slot: string,
  recipient: string | null,
  last: LastDecision | null,
  req: { us: string | undefined; userAgent: string | null; slotUrl: string | undefined },
): Promise<string | undefined> {
  let o: RecsOptions;
  try {
    const variant = last?.variant ?? DEFAULT_VARIANT;
    const shown = variant === DEFAULT_VARIANT ? block : (s.rules.forced(block, variant)?.block ?? block);
    o = s.recsBlocks.optionsOf(shown);
  } catch {
    return undefined;
  }
  // Another slot of the block (its own `slots`), else the fallback: never the dead-link page.
  if (!TILE_SLOT_RE.test(slot)) return req.slotUrl ?? o.fallbackUrl;
  const n = Number(slot.slice(4));
  if (n > o.tiles) return o.fallbackUrl;
  const trusted = !!recipient && (s.unsignedProfiles || (await s.recipientProof.verify(recipient, req.us)));
  if (last && (last.slots[PERSONAL_SLOT] !== "1" || trusted)) {
    const id = last.slots[slot + TILE_PRODUCT];
    if (!id) return o.fallbackUrl;
    const p = await s.recsEngine?.productNow(id).catch(() => null);
    if (p && inStock(p) && p.url && isHttpUrl(p.url)) return p.url;
    return categoryPage(p?.category ?? last.slots[slot + TILE_CATEGORY], o) ?? o.fallbackUrl;
  }
  try {
    const open = openContext(s, {
      recipient,
      userAgent: req.userAgent,
      now: s.clock.now(),
      query: (name) => (name === "us" ? req.us : undefined),
    });
    const choice = await s.recsBlocks.choose(block, o, open);
    const pick = choice.picks[n - 1];
    return pick ? tileUrl(pick.product, o) : o.fallbackUrl;
  } catch (err) {
    s.logger.error({ err, block: block.id }, "recs choice at click failed");
    return o.fallbackUrl;
  }
}
