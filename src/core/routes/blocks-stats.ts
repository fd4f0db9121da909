import type { App } from "../app-env.js";
import type { VariantCounts } from "../ports/decisions.js";
import { DEFAULT_VARIANT } from "../rules/variants.js";
import { findBlock } from "./blocks-shared.js";

const zero = { opens: 0, uniqueRecipients: 0, clicks: 0 };

/**
 * GET /v1/blocks/:id/stats — opens, unique recipients and adaptive-link clicks per variant.
 * The block's current variants come first in their evaluation order (with zeros when never
 * shown), then "default", then variants since removed from the block that were shown.
 */
export function registerBlocksStats(app: App): void {
  app.get("/v1/blocks/:id/stats", async (c) => {
    const s = c.get("services");
    const block = await findBlock(s, c.req.param("id"));
    // Read-your-writes: opens already answered are counted (flushes the group commit).
    const counts = new Map<string, VariantCounts>();
    for (const v of await s.decisions.countsByVariant(block.id)) counts.set(v.variant, v);
    let names: string[] = [];
    try {
      names = s.rules.rulesOf(block).variants.map((v) => v.name);
    } catch {
      // Rules that no longer compile still have history worth showing.
    }
    names.push(DEFAULT_VARIANT);
    for (const name of [...counts.keys()].sort()) if (!names.includes(name)) names.push(name);
    const variants = names.map((name) => {
      const n = counts.get(name) ?? zero;
      return { name, opens: n.opens, uniqueRecipients: n.uniqueRecipients, clicks: n.clicks };
    });
    return c.json({ block: block.id, variants });
  });
}
