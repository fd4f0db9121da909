import type { ProductRecord } from "../ports/catalog.js";
import type { Profile } from "../ports/profiles.js";
import type { Profiles } from "../profiles/service.js";
import type { RecsEngine } from "./engine.js";
import { filtersSchema, type RecsFiltersInput, type StrategyWeights } from "./options.js";

/** One recommended product as plain data (what a Liquid template can loop over). */
export interface RecommendedProduct {
  id: string;
  name: string;
  price: number;
  currency: string;
  compareAtPrice: number | null;
  imageUrl: string | null;
  url: string | null;
  category: string | null;
  brand: string | null;
  tags: string[];
  /** Which strategy put it there ("fallback": the fill). */
  strategy: string;
}

export interface RecsForOptions {
  /** 1–12 (default 4). */
  count?: number;
  strategies?: Partial<StrategyWeights>;
  filters?: RecsFiltersInput;
  fallbackProducts?: string[];
}

/**
 * Recommendations as data, from the same engine as the `recs` block: for flows' templates
 * (the follow-up email's product list) and anything else server-side. `person` is a profile
 * id, user id, email or ESP id (whatever ProfileService.find takes) or a Profile already
 * read; unknown people get the cold-start list (best sellers in scope). Nothing is recorded
 * as shown: an email that shows these is rendered, not opened.
 */
export interface RecsService {
  for(person: string | Profile | null, opts?: RecsForOptions): Promise<RecommendedProduct[]>;
}

export function createRecsService(engine: RecsEngine, profiles: Profiles | undefined): RecsService {
  return {
    async for(person, opts = {}) {
      const filters = filtersSchema.parse(opts.filters ?? {});
      let profile: Profile | null = null;
      if (typeof person === "string") {
        profile = profiles ? await profiles.find(person, { history: false }).catch(() => null) : null;
      } else profile = person;
      const picks = await engine.choose({
        profile,
        count: opts.count ?? 4,
        weights: opts.strategies,
        filters,
        fallbackProducts: opts.fallbackProducts,
      });
      return picks.map((p) => asData(p.product, p.strategy));
    },
  };
}

function asData(p: ProductRecord, strategy: string): RecommendedProduct {
  return {
    id: p.id,
    name: p.name,
    price: p.price,
    currency: p.currency,
    compareAtPrice: p.compareAtPrice,
    imageUrl: p.imageUrl,
    url: p.url,
    category: p.category,
    brand: p.brand,
    tags: [...p.tags],
    strategy,
  };
}
