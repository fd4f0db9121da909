import { z } from "zod";

/** Every strategy the engine combines, in one list that the weights, stats and docs derive from. */
export const STRATEGIES = [
  "recentlyViewed",
  "affinity",
  "viewedTogether",
  "boughtTogether",
  "trending",
  "bestSellers",
  "priceDrops",
  "backInStock",
  "newArrivals",
] as const;
export type Strategy = (typeof STRATEGIES)[number];
export type StrategyWeights = Record<Strategy, number>;

/**
 * The default mix: what the person showed interest in first (their views, drops and
 * restocks on them), then what goes with it, then what everyone buys. A plain input: a
 * block's `strategies` (or a variant's, or a bandit choosing among mixes) overrides any part.
 */
export const DEFAULT_WEIGHTS: Readonly<StrategyWeights> = Object.freeze({
  recentlyViewed: 3,
  affinity: 2,
  viewedTogether: 2,
  boughtTogether: 2,
  trending: 1,
  bestSellers: 1,
  priceDrops: 3,
  backInStock: 3,
  newArrivals: 1,
});

const weight = z.number().min(0).max(100);
export const strategiesSchema = z
  .object(
    Object.fromEntries(STRATEGIES.map((s) => [s, weight.optional()])) as Record<
      Strategy,
      z.ZodOptional<typeof weight>
    >,
  )
  .strict();

const label = z.string().min(1).max(200);
const match = z
  .object({
    categories: z.array(label).max(50).optional(),
    brands: z.array(label).max(50).optional(),
    tags: z.array(label).max(50).optional(),
  })
  .strict();

/** An operator's rules on what may be recommended, and the engine's own filters' settings. */
export const filtersSchema = z
  .object({
    /** Only products matching every list given (any of a list's values). Also the block's scope for cold starts. */
    include: match.optional(),
    /** Never products matching any value of any list. */
    exclude: match.optional(),
    minPrice: z.number().min(0).optional(),
    maxPrice: z.number().min(0).optional(),
    /** Products with one of these tags may be recommended again after a purchase. */
    consumableTags: z.array(label).max(20).default(["consumable"]),
    /** A product shown to the person this many times within the window is rested. */
    maxImpressions: z.number().int().min(1).max(100).default(3),
    impressionWindowHours: z.number().min(1).max(720).default(24),
    /** Diversity: at most this many tiles from one category (default: half the tiles, rounded up). */
    maxPerCategory: z.number().int().min(1).max(12).optional(),
  })
  .strict()
  .refine((f) => f.minPrice === undefined || f.maxPrice === undefined || f.minPrice <= f.maxPrice, {
    message: "minPrice must not exceed maxPrice",
    path: ["minPrice"],
  });
export type RecsFilters = z.infer<typeof filtersSchema>;
export type RecsFiltersInput = z.input<typeof filtersSchema>;

export const DEFAULT_FILTERS: RecsFilters = filtersSchema.parse({});

export function weightsOf(partial: Partial<StrategyWeights> | undefined): StrategyWeights {
  return { ...DEFAULT_WEIGHTS, ...(partial ?? {}) };
}
