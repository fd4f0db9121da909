import type { CatalogStore, ProductRecord } from "../ports/catalog.js";
import type { Clock } from "../ports/index.js";
import type { Profile } from "../ports/profiles.js";
import type { PersonItem, RecsScope, RecsSignal, RecsStore } from "../ports/recs.js";
import { decayedAt, HALF_LIFE } from "../profiles/model.js";
import { Lru } from "../util/lru.js";
import {
  DEFAULT_FILTERS,
  type RecsFilters,
  type Strategy,
  type StrategyWeights,
  weightsOf,
} from "./options.js";

const DAY = 86_400_000;
/** Candidates read per strategy list: enough for 12 tiles after filters, little enough for ≤ 2 ms. */
const LIST = 30;
/** Products read in the last seconds (a hot recommendation is read by every open). */
const PRODUCT_TTL_MS = 2_000;
/** Popularity lists and new arrivals change slowly: shared by every open for a few seconds. */
const LIST_TTL_MS = 10_000;
/** Viewed products the price-drop and restock strategies look at (each may read its history). */
const WATCHED = 10;
const NEW_ARRIVAL_DAYS = 30;

/** One tile's product and why it was chosen ("fallback": the fill after every strategy). */
export interface RecsPick {
  product: ProductRecord;
  strategy: Strategy | "fallback";
}

export interface RecsRequest {
  /** The person (null: unknown or unproven recipient, a cold start). */
  profile: Profile | null;
  /** Tiles to fill (1–12). */
  count: number;
  /** The strategy mix; missing weights take DEFAULT_WEIGHTS. */
  weights?: Partial<StrategyWeights>;
  filters?: RecsFilters;
  /** Operator's fallback products, used (in order) when the strategies leave tiles empty. */
  fallbackProducts?: readonly string[];
  /** Who is shown, for the "not too often lately" filter (null: not remembered). */
  recipient?: string | null;
  now?: number;
}

interface Candidate {
  score: number;
  strategy: Strategy;
  best: number;
}

/**
 * The recommendation engine: strategies produce ranked lists, combined by weight (rank-
 * linear, so no strategy's raw scale dominates), then filtered (stock, purchases, rests,
 * operator rules, diversity) and filled from best sellers, trending and the operator's
 * fallback products, so a tile is empty only when the catalog has nothing to show.
 * One instance per process: it holds short-lived caches and the impressions memory.
 */
export class RecsEngine {
  private readonly cache = new Lru<string, { p: ProductRecord | null; at: number }>(50_000);
  private readonly lists = new Lru<string, { ids: string[]; at: number }>(2_000);
  private readonly arrivals = new Lru<string, { ps: ProductRecord[]; at: number }>(1_000);
  /** recipient → product → times shown (with the last time), kept for the rest filter. */
  private readonly shown = new Lru<string, Map<string, { n: number; at: number }>>(100_000);

  constructor(
    private readonly store: RecsStore,
    private readonly catalog: CatalogStore | undefined,
    private readonly clock: Clock,
  ) {}

  /** Call after writing products, so the next choice sees them. */
  forgetProduct(id: string): void {
    this.cache.delete(id);
  }

  /** One product as the catalog holds it now (through the short cache): adaptive tile links. */
  async productNow(id: string): Promise<ProductRecord | null> {
    const now = this.clock.now();
    return (await this.products([id], now)).get(id) ?? null;
  }

  /** Remembers what a person was shown (the rest filter); call once per fresh choice, not per cached open. */
  noteShown(recipient: string, ids: readonly string[], now = this.clock.now()): void {
    let m = this.shown.get(recipient);
    if (!m) {
      m = new Map();
      this.shown.set(recipient, m);
    }
    for (const id of ids) {
      const e = m.get(id);
      if (e && now - e.at < 30 * DAY) {
        e.n++;
        e.at = now;
      } else m.set(id, { n: 1, at: now });
    }
    if (m.size > 200) for (const k of [...m.keys()].slice(0, m.size - 200)) m.delete(k);
  }

  /** The products for `count` tiles (fewer only when nothing in the catalog qualifies). */
  async choose(req: RecsRequest): Promise<RecsPick[]> {
    const now = req.now ?? this.clock.now();
    const f = req.filters ?? DEFAULT_FILTERS;
    const w = weightsOf(req.weights);
    const count = Math.max(1, Math.min(12, Math.floor(req.count)));
    const profile = req.profile;
    const person = profile ? await this.store.person(profile.id) : { viewed: [], bought: [] };
    const bought = new Set(person.bought.map((b) => b.id));
    const cands = new Map<string, Candidate>();
    const add = (s: Strategy, ids: readonly string[]) => {
      const wt = w[s];
      if (!(wt > 0)) return;
      ids.forEach((id, rank) => {
        const v = wt * (1 - rank / (LIST * 2));
        const c = cands.get(id);
        if (!c) cands.set(id, { score: v, strategy: s, best: v });
        else {
          c.score += v;
          if (v > c.best) {
            c.best = v;
            c.strategy = s;
          }
        }
      });
    };

    const scopes = scopesOf(f);
    const viewed = person.viewed.filter((v) => !bought.has(v.id));
    const reads: Promise<void>[] = [];
    if (viewed.length)
      add(
        "recentlyViewed",
        viewed.slice(0, LIST).map((v) => v.id),
      );
    if (w.viewedTogether > 0 && person.viewed.length)
      reads.push(this.related("view", person.viewed.slice(0, 3)).then((ids) => add("viewedTogether", ids)));
    const basket = [
      ...person.bought.slice(0, 3).map((b) => b.id),
      ...(profile?.cart?.items ?? []).slice(0, 3).map((i) => i.productId),
    ];
    if (w.boughtTogether > 0 && basket.length)
      reads.push(
        this.related(
          "buy",
          basket.map((id) => ({ id, at: now })),
        ).then((ids) => add("boughtTogether", ids)),
      );
    if (w.trending > 0)
      reads.push(this.popularIn("view", scopes, LIST, now).then((ids) => add("trending", ids)));
    if (w.bestSellers > 0)
      reads.push(this.popularIn("buy", scopes, LIST, now).then((ids) => add("bestSellers", ids)));
    const cats = profile ? topCategories(profile, now, 3) : [];
    if (w.affinity > 0 && cats.length)
      reads.push(
        this.popularIn(
          "view",
          cats.map((category) => ({ category })),
          LIST,
          now,
        ).then((ids) => add("affinity", ids)),
      );
    if (w.newArrivals > 0 && cats.length)
      reads.push(this.newArrivals(cats.slice(0, 2), now).then((ids) => add("newArrivals", ids)));
    await Promise.all(reads);

    // The person's viewed products (brand affinity, drops, restocks) read with the candidates.
    const watched = person.viewed.slice(0, WATCHED);
    const products = await this.products([...cands.keys(), ...watched.map((v) => v.id)], now);
    if (profile && w.affinity > 0) {
      const brands = topBrands(watched, products);
      if (brands.length) {
        const ids = await this.popularIn(
          "view",
          brands.map((brand) => ({ brand })),
          LIST,
          now,
        );
        add("affinity", ids);
        await this.products(ids, now, products);
      }
    }
    if (w.priceDrops > 0 || w.backInStock > 0) await this.watch(watched, products, w, add);

    const ranked = [...cands.entries()].sort((a, b) => b[1].score - a[1].score);
    const picks: RecsPick[] = [];
    const taken = new Set<string>();
    const perCategory = new Map<string, number>();
    const maxPerCategory = f.maxPerCategory ?? Math.ceil(count / 2);
    const rested = this.restedFor(req.recipient ?? null, f, now);
    const ok = (p: ProductRecord | null | undefined, relax: 0 | 1 | 2): p is ProductRecord =>
      !!p &&
      !taken.has(p.id) &&
      inStock(p) &&
      allowed(p, f) &&
      (!bought.has(p.id) || consumable(p, f)) &&
      (relax >= 2 || !rested.has(p.id)) &&
      (relax >= 1 || (perCategory.get(p.category ?? "") ?? 0) < maxPerCategory);
    const take = (p: ProductRecord, strategy: RecsPick["strategy"]) => {
      picks.push({ product: p, strategy });
      taken.add(p.id);
      const k = p.category ?? "";
      perCategory.set(k, (perCategory.get(k) ?? 0) + 1);
    };
    for (const relax of [0, 1] as const) {
      for (const [id, c] of ranked) {
        if (picks.length >= count) break;
        const p = products.get(id);
        if (ok(p, relax)) take(p, c.strategy);
      }
    }
    if (picks.length < count) {
      // Fill: best sellers, then trending, in the block's scope then anywhere; the
      // operator's own fallback products; then anything rested before. Never an empty tile
      // while the catalog has something to show.
      const lists = [
        () => this.popularIn("buy", scopes, 200, now),
        () => this.popularIn("view", scopes, 200, now),
        () => this.popularIn("buy", [{}], 200, now),
        () => Promise.resolve([...(req.fallbackProducts ?? [])]),
        () => this.newArrivals([null], now, 0),
      ];
      for (const relax of [1, 2] as const) {
        for (const list of lists) {
          if (picks.length >= count) break;
          const ids = await list();
          const ps = await this.products(ids, now);
          for (const id of ids) {
            if (picks.length >= count) break;
            const p = ps.get(id);
            if (ok(p, relax)) take(p, "fallback");
          }
          for (const p of ps.values()) if (picks.length < count && ok(p, relax)) take(p, "fallback");
        }
      }
    }
    return picks;
  }

  private restedFor(recipient: string | null, f: RecsFilters, now: number): Set<string> {
    const out = new Set<string>();
    const m = recipient ? this.shown.get(recipient) : undefined;
    if (!m) return out;
    const window = f.impressionWindowHours * 3_600_000;
    for (const [id, e] of m) if (e.n >= f.maxImpressions && now - e.at < window) out.add(id);
    return out;
  }

  private async related(kind: RecsSignal, from: readonly PersonItem[]): Promise<string[]> {
    const lists = await Promise.all(from.map((v) => this.store.related(kind, v.id, LIST)));
    const seen = new Set(from.map((v) => v.id));
    const out: string[] = [];
    // Interleaved: the first of each list before the seconds.
    for (let i = 0; i < LIST; i++)
      for (const l of lists) {
        const id = l[i];
        if (id !== undefined && !seen.has(id)) {
          seen.add(id);
          out.push(id);
        }
      }
    return out.slice(0, LIST);
  }

  /** The popular products in any of `scopes`, merged by rank (cached a few seconds). */
  private async popularIn(
    kind: RecsSignal,
    scopes: RecsScope[],
    limit: number,
    now: number,
  ): Promise<string[]> {
    const lists = await Promise.all(
      scopes.map(async (scope) => {
        const key = `${kind}\u0000${scope.category ?? ""}\u0000${scope.brand ?? ""}\u0000${limit}`;
        const hit = this.lists.get(key);
        if (hit && now - hit.at < LIST_TTL_MS && now >= hit.at) return hit.ids;
        const ids = await this.store.popular(kind, scope, limit);
        if (ids.length) this.lists.set(key, { ids, at: now });
        return ids;
      }),
    );
    if (lists.length === 1) return lists[0]!;
    const out = new Set<string>();
    for (let i = 0; i < limit; i++) for (const l of lists) if (l[i] !== undefined) out.add(l[i]!);
    return [...out].slice(0, limit);
  }

  private async newArrivals(
    categories: (string | null)[],
    now: number,
    days = NEW_ARRIVAL_DAYS,
  ): Promise<string[]> {
    const out: string[] = [];
    for (const c of categories) {
      const key = `${c ?? "\u0000"}:${days}`;
      let hit = this.arrivals.get(key);
      if (!hit || now - hit.at >= LIST_TTL_MS * 6 || now < hit.at) {
        const since = days > 0 ? now - days * DAY : 0;
        hit = { ps: await this.store.newest(c, since, LIST), at: now };
        // An empty catalog is not remembered: its first products show at once.
        if (hit.ps.length) this.arrivals.set(key, hit);
      }
      for (const p of hit.ps) {
        this.cache.set(p.id, { p, at: now });
        out.push(p.id);
      }
    }
    return out;
  }

  /** Price drops and restocks since the person looked (history read only where the product changed since). */
  private async watch(
    watched: readonly PersonItem[],
    products: Map<string, ProductRecord>,
    w: StrategyWeights,
    add: (s: Strategy, ids: string[]) => void,
  ): Promise<void> {
    const drops: string[] = [];
    const restocks: string[] = [];
    for (const v of watched) {
      const p = products.get(v.id);
      if (!p || !inStock(p)) continue;
      if (w.priceDrops > 0 && p.compareAtPrice !== null && p.compareAtPrice > p.price && p.updatedAt > v.at)
        drops.push(p.id);
      else if (p.priceSince > v.at && this.catalog) {
        const h = await this.catalog.history(p.id, 10);
        // The price in effect when they looked: the newest point at or before their view.
        const then = h.find((x) => x.at <= v.at);
        if (w.priceDrops > 0 && then && then.currency === p.currency && then.price > p.price)
          drops.push(p.id);
        if (w.backInStock > 0 && h.some((x) => x.stock === 0 && x.at >= (then?.at ?? 0))) restocks.push(p.id);
      } else if (w.backInStock > 0 && p.updatedAt > v.at && this.catalog) {
        const h = await this.catalog.history(p.id, 10);
        const then = h.find((x) => x.at <= v.at);
        if (h.some((x) => x.stock === 0 && x.at >= (then?.at ?? 0))) restocks.push(p.id);
      }
    }
    add("priceDrops", drops);
    add("backInStock", restocks);
  }

  /** Products by id through a short cache; `into` collects them (a fresh map by default). */
  private async products(
    ids: readonly string[],
    now: number,
    into = new Map<string, ProductRecord>(),
  ): Promise<Map<string, ProductRecord>> {
    const missing: string[] = [];
    for (const id of ids) {
      if (into.has(id)) continue;
      const hit = this.cache.get(id);
      if (hit && now - hit.at < PRODUCT_TTL_MS && now >= hit.at) {
        if (hit.p) into.set(id, hit.p);
      } else missing.push(id);
    }
    if (missing.length) {
      const unique = [...new Set(missing)];
      const found = await this.store.products(unique);
      const byId = new Map(found.map((p) => [p.id, p]));
      for (const id of unique) {
        const p = byId.get(id) ?? null;
        this.cache.set(id, { p, at: now });
        if (p) into.set(id, p);
      }
    }
    return into;
  }
}

export const inStock = (p: ProductRecord) => p.stock === null || p.stock > 0;

function consumable(p: ProductRecord, f: RecsFilters): boolean {
  return p.tags.some((t) => f.consumableTags.includes(t));
}

function matches(p: ProductRecord, m: NonNullable<RecsFilters["include"]>, every: boolean): boolean {
  const tests = [
    m.categories && p.category !== null && m.categories.includes(p.category),
    m.brands && p.brand !== null && m.brands.includes(p.brand),
    m.tags && p.tags.some((t) => m.tags!.includes(t)),
  ].filter((t) => t !== undefined);
  return every ? tests.every(Boolean) : tests.some(Boolean);
}

/** The operator's rules: include (every list given), exclude (any), price range. */
export function allowed(p: ProductRecord, f: RecsFilters): boolean {
  if (f.include && !matches(p, f.include, true)) return false;
  if (f.exclude && matches(p, f.exclude, false)) return false;
  if (f.minPrice !== undefined && p.price < f.minPrice) return false;
  if (f.maxPrice !== undefined && p.price > f.maxPrice) return false;
  return true;
}

/** The block's scope for popularity lists: its included categories, else brands, else everything. */
function scopesOf(f: RecsFilters): RecsScope[] {
  const cats = f.include?.categories;
  if (cats?.length) return cats.slice(0, 5).map((category) => ({ category }));
  const brands = f.include?.brands;
  if (brands?.length) return brands.slice(0, 5).map((brand) => ({ brand }));
  return [{}];
}

function topCategories(p: Profile, now: number, n: number): string[] {
  return Object.entries(p.interests.categories)
    .map(([k, d]) => [k, decayedAt(d, now, HALF_LIFE.interest)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k]) => k);
}

function topBrands(watched: readonly PersonItem[], products: Map<string, ProductRecord>): string[] {
  const n = new Map<string, number>();
  for (const v of watched) {
    const b = products.get(v.id)?.brand;
    if (b) n.set(b, (n.get(b) ?? 0) + 1);
  }
  return [...n.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 2)
    .map(([b]) => b);
}
