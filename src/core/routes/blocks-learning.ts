import type { App } from "../app-env.js";
import { DEFAULT_ATTRIBUTION_WINDOW_MS } from "../learning/attribution.js";
import { blockLearningStats } from "../learning/stats.js";
import type { CompiledRules } from "../rules/choose.js";
import { findBlock } from "./blocks-shared.js";

const RECENT_ORDERS = 20;

/**
 * GET /v1/blocks/:id/learning — human-only results per variant and slot (impressions,
 * clicks, CTR, credited orders, revenue per currency), each optimised split's traffic
 * shares and confidence, and the latest credited orders.
 */
export function registerBlocksLearning(app: App): void {
  app.get("/v1/blocks/:id/learning", async (c) => {
    const s = c.get("services");
    const block = await findBlock(s, c.req.param("id"));
    let rules: CompiledRules | null = null;
    try {
      rules = s.rules.rulesOf(block);
    } catch {
      // Rules that no longer compile still have results worth showing.
    }
    const [rows, recent] = await Promise.all([
      s.learner.counts(block.id),
      s.learner.attributions(block.id, RECENT_ORDERS),
    ]);
    return c.json({
      block: block.id,
      attributionWindowHours: (s.attributionWindowMs ?? DEFAULT_ATTRIBUTION_WINDOW_MS) / 3_600_000,
      ...blockLearningStats(rules, rows, recent),
    });
  });
}
