import { z } from "zod";
import type { CachedImage, RenderCache } from "../blocks/byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { BlockKind, OpenContext } from "../blocks/kinds.js";
import { PreparedOptions } from "../blocks/prepared-options.js";
import { textIssues } from "../blocks/texts.js";
import { type CardAssets, imageRefSchema, imageSrc, noCardAssets, pictureBox } from "../cards/assets.js";
import { type LayoutNode, layoutTexts, layoutTree, parseLayout } from "../cards/banner-layout.js";
import { fillTemplate } from "../cards/merge-fields.js";
import { PRICE_LAYOUT_FIELDS } from "../cards/price-block.js";
import { isKnownLocale, type PriceCardModel, priceCardModel } from "../cards/price-model.js";
import { priceCard } from "../cards/price-templates.js";
import type { ProductImages } from "../cards/product-images.js";
import { type CardChild, type CardElement, type CardRenderer, el } from "../cards/types.js";
import { productId } from "../catalog/schema.js";
import type { CatalogStore, PricePoint, ProductRecord } from "../ports/catalog.js";
import type { LastDecision } from "../ports/decisions.js";
import type { BlockRecord } from "../ports/index.js";
import { DEFAULT_VARIANT, isHttpUrl } from "../rules/variants.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { Lru } from "../util/lru.js";
import type { RecsEngine, RecsPick } from "./engine.js";
import { filtersSchema, strategiesSchema } from "./options.js";

const hex = z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use #rgb or #rrggbb");
export const RECS_LAYOUTS = ["grid", "row", "hero"] as const;
export const MAX_TILES = 12;
/** Tile slots of adaptive links: tile1 … tile12. */
export const TILE_SLOT_RE = /^tile([1-9]|1[0-2])$/;
/** What a recs open records beside each tile's URL (decision slots; see tileDecision). */
export const TILE_PRODUCT = ".p";
export const TILE_CATEGORY = ".c";
/** Set in an open's decision slots when the choice read the person's profile. */
export const PERSONAL_SLOT = "_personal";

const urlOption = z.string().max(2048).refine(isHttpUrl, "use an absolute http(s) URL");

/** Options of a `recs` block: how many tiles, how they are laid out and chosen, where a tile goes when its product is gone. */
export const recsOptionsSchema = z
  .object({
    tiles: z.number().int().min(1).max(MAX_TILES).default(4),
    layout: z.enum(RECS_LAYOUTS).default("grid"),
    /** Grid columns (default 2; 3 from 5 tiles). */
    columns: z.number().int().min(1).max(6).optional(),
    // Bounded like price cards: the render's cost grows with the pixel count.
    width: z.number().int().min(200).max(1200).optional(),
    height: z.number().int().min(120).max(2400).optional(),
    scale: z.union([z.literal(1), z.literal(2)]).default(1),
    locale: z.string().max(35).refine(isKnownLocale, "unknown locale").default("en-US"),
    lowStock: z.number().int().min(0).max(1000).default(5),
    dropDays: z.number().int().min(1).max(365).default(30),
    font: z.string().max(40).optional(),
    background: hex.default("#ffffff"),
    textColor: hex.default("#111827"),
    accentColor: hex.default("#d92d20"),
    campaign: z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -").optional(),
    /** The strategy mix (weights 0–100; missing ones take the defaults). */
    strategies: strategiesSchema.optional(),
    filters: filtersSchema.optional(),
    /** Shown (in order) when the strategies leave tiles empty. */
    fallbackProducts: z.array(productId).max(24).optional(),
    /** Where a tile goes when it has no product, or its product is gone and no category page applies. Required: never a dead link. */
    fallbackUrl: urlOption,
    /** A tile with no product at all draws this (an assets/ file name or a data:image URL), else `fallbackText`. */
    fallbackImage: z
      .string()
      .max(256 * 1024)
      .optional(),
    fallbackText: z.string().min(1).max(60).default("See what's new"),
    /** A category page, `{category}` replaced by the product's category (URL-encoded): where a sold-out or removed product's tile goes. */
    categoryUrl: urlOption
      .refine((u) => u.includes("%7Bcategory%7D") || u.includes("{category}"), "must contain {category}")
      .optional(),
    /** How long one recipient keeps the same products across re-opens (seconds). */
    cacheSeconds: z.number().int().min(0).max(86_400).default(300),
    /** An operator's own tile: a layout checked like a banner's, its texts using PRICE_LAYOUT_FIELDS, "product" its photo. */
    tileLayout: z.unknown().optional(),
  })
  .strict();
export type RecsOptions = z.infer<typeof recsOptionsSchema> & {
  columns: number;
  width: number;
  height: number;
  parsedLayout?: LayoutNode;
};

/** Default sizes per layout: 600 wide (the email column). */
function sizeOf(o: z.infer<typeof recsOptionsSchema>): { width: number; height: number; columns: number } {
  const width = o.width ?? 600;
  const columns =
    o.layout === "row"
      ? o.tiles
      : o.layout === "hero"
        ? Math.max(1, o.tiles - 1)
        : (o.columns ?? (o.tiles >= 5 ? 3 : 2));
  if (o.height !== undefined) return { width, height: o.height, columns };
  const tileW = width / Math.max(1, o.layout === "hero" ? Math.max(1, o.tiles - 1) : columns);
  // Square tiles by default: a 2x2 grid is 600x600 (photo, name, now/was, stock fit).
  const tileH = Math.round(tileW);
  if (o.layout === "row") return { width, height: Math.max(120, tileH), columns };
  if (o.layout === "hero")
    return { width, height: Math.round(width / 2) + (o.tiles > 1 ? tileH : 0), columns };
  return { width, height: Math.min(2400, Math.ceil(o.tiles / columns) * tileH), columns };
}

/** One drawn tile: its product (null: the block's fallback tile) and the card model. */
interface Tile {
  p: ProductRecord | null;
  model: PriceCardModel | null;
  photo: string | null;
}

export interface RecsChoice {
  picks: RecsPick[];
  /** Whether the person's profile was read (a proven recipient). */
  personal: boolean;
  at: number;
}

/**
 * The `recs` block: at each open, the engine's products for this person, drawn as tiles
 * with the price-card pipeline (Intl money, was/now, stock), and each tile's product
 * recorded in the decision slots so `GET /c/:blockId/tileN` goes where the tile showed.
 */
export class RecsBlocks {
  private readonly prepared = new PreparedOptions<RecsOptions>((options) => {
    const res = this.parse(options);
    return res.ok ? res.options : null;
  });
  /** Per recipient and block version: the products chosen, kept cacheSeconds (re-opens see the same tiles). */
  private readonly choices = new Lru<string, RecsChoice>(100_000);
  private readonly histories = new Lru<string, { h: PricePoint[]; at: number }>(20_000);
  /**
   * The latest open's tile slots per (block, recipient) in this process: a tile click reads
   * them here instead of the decision log (which holds the same, for other processes and
   * after a restart). Used only for blocks without variants (their variant is "default").
   */
  private readonly lastOpens = new Lru<string, LastDecision>(100_000);
  /** Per block version and tile products: the render key and the tree, so a cached open costs a lookup. */
  private readonly keys = new Lru<string, { key: string; tree: () => CardElement; until: number }>(20_000);

  constructor(
    private readonly renderer: CardRenderer | undefined,
    private readonly engine: RecsEngine | undefined,
    private readonly catalog: CatalogStore | undefined,
    private readonly cache: RenderCache,
    private readonly images?: ProductImages,
    private readonly layouts: { assets: CardAssets; renderer?: CardRenderer } = { assets: noCardAssets },
  ) {}

  parse(options: unknown): { ok: true; options: RecsOptions } | { ok: false; issues: string[] } {
    if (!this.renderer || !this.engine || !this.catalog)
      return { ok: false, issues: ["recommendations are not available on this server"] };
    const res = recsOptionsSchema.safeParse(options);
    if (!res.success)
      return { ok: false, issues: res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
    const o = { ...res.data, ...sizeOf(res.data) };
    if (o.font !== undefined && !this.renderer.families.includes(o.font))
      return { ok: false, issues: [`font: use one of ${this.renderer.families.join(", ")}`] };
    if (o.fallbackImage !== undefined) {
      const img = imageRefSchema(this.layouts.assets).safeParse(o.fallbackImage);
      if (!img.success)
        return { ok: false, issues: img.error.issues.map((i) => `fallbackImage: ${i.message}`) };
    }
    if (o.tileLayout === undefined) return { ok: true, options: o };
    const l = parseLayout(o.tileLayout, {
      assets: this.layouts.assets,
      fields: PRICE_LAYOUT_FIELDS,
      families: this.renderer.families,
      images: ["product"],
    });
    if (!l.ok) return { ok: false, issues: [l.issue.replace(/^layout/, "tileLayout")] };
    return { ok: true, options: { ...o, parsedLayout: l.layout } };
  }

  kind(): BlockKind {
    return {
      type: "recs",
      defaultExt: "png",
      parse: (options) => {
        const res = this.parse(options);
        if (!res.ok) return res;
        const texts: [string, string | undefined][] = [
          ...layoutTexts(res.options.tileLayout),
          ["fallbackText", res.options.fallbackText],
        ];
        const issues = textIssues(texts, this.renderer?.coverage);
        return issues.length ? { ok: false, issues } : res;
      },
      render: (block, ext, open) => this.render(block, ext, open),
    };
  }

  /** The latest open of a block without variants by this recipient in this process, if any. */
  lastOpen(block: BlockRecord, recipient: string): LastDecision | null {
    if (block.options.variants !== undefined) return null;
    return this.lastOpens.get(`${block.id}\u0000${recipient}`) ?? null;
  }

  optionsOf(block: BlockRecord): RecsOptions {
    return this.prepared.of(block);
  }

  forgetProduct(id: string): void {
    this.engine?.forgetProduct(id);
    this.histories.delete(id);
  }

  /**
   * The products this open shows: the recipient's cached choice while fresh, else a new
   * one from the engine (the profile read only for a proven recipient: OpenContext.profile).
   */
  async choose(block: BlockRecord, o: RecsOptions, open: OpenContext): Promise<RecsChoice> {
    const engine = this.engine;
    if (!engine) throw new RenderError("renderer_unavailable");
    const profile = open.preview || open.recipient ? await open.profile() : null;
    const personal = profile !== null;
    const key = `${block.id}:${block.version}:${personal ? "p" : "a"}:${open.recipient ?? ""}`;
    const now = open.now;
    const hit = open.preview ? undefined : this.choices.get(key);
    if (hit && now - hit.at < o.cacheSeconds * 1000 && now >= hit.at) return hit;
    const picks = await engine.choose({
      profile,
      count: o.tiles,
      weights: o.strategies,
      filters: o.filters,
      fallbackProducts: o.fallbackProducts,
      recipient: open.recipient,
      now,
    });
    const choice = { picks, personal, at: now };
    if (!open.preview) {
      if (o.cacheSeconds > 0) this.choices.set(key, choice);
      if (open.recipient)
        engine.noteShown(
          open.recipient,
          picks.map((p) => p.product.id),
          now,
        );
    }
    return choice;
  }

  async render(block: BlockRecord, ext: ImageExt, open: OpenContext) {
    const renderer = this.renderer;
    if (!renderer || !this.catalog) throw new RenderError("renderer_unavailable");
    const o = this.prepared.of(block);
    const choice = await this.choose(block, o, open);
    const now = open.now;
    const photos = await Promise.all(
      choice.picks.map((pick) =>
        this.images
          ? this.images.get(pick.product)
          : pick.product.imageUrl?.startsWith("data:image/")
            ? pick.product.imageUrl
            : null,
      ),
    );
    const memoKey = `${block.id}:${block.version}:${choice.picks.map((p, i) => `${p.product.id}:${p.product.version}:${photos[i] ? 1 : 0}`).join(",")}`;
    let memo = this.keys.get(memoKey);
    if (!memo || now >= memo.until) {
      const tiles: Tile[] = [];
      let until = Number.POSITIVE_INFINITY;
      for (let i = 0; i < o.tiles; i++) {
        const pick = choice.picks[i];
        if (!pick) {
          tiles.push({ p: null, model: null, photo: null });
          continue;
        }
        const h = await this.history(pick.product.id, now);
        tiles.push({
          p: pick.product,
          model: priceCardModel(pick.product, h, now, o),
          photo: photos[i] ?? null,
        });
        // The drop window closing changes the card (as for price cards).
        const closes = pick.product.priceSince + o.dropDays * 86_400_000;
        if (now <= closes) until = Math.min(until, closes);
      }
      const theme = {
        background: o.background,
        text: o.textColor,
        accent: o.accentColor,
        font: o.font ?? renderer.families[0]!,
      };
      const key = [
        "recs1",
        block.id,
        block.version,
        JSON.stringify(
          tiles.map((t) => (t.p ? [t.p.id, t.p.version, { ...t.model, image: t.photo !== null }] : null)),
        ),
      ].join("\u0000");
      memo = { key, tree: () => recsCard(o, tiles, theme, this.layouts.assets), until };
      this.keys.set(memoKey, memo);
    }
    const draw = o.parsedLayout ? (this.layouts.renderer ?? renderer) : renderer;
    const tree = memo.tree;
    const image: CachedImage = await this.cache.get(`${memo.key}\u0000${ext}`, async () => ({
      bytes: await draw.render(tree(), { width: o.width, height: o.height, scale: o.scale, format: ext }),
      contentType: CONTENT_TYPES[ext],
    }));
    const slots = tileSlots(o, choice);
    if (!open.preview && open.recipient)
      this.lastOpens.set(`${block.id}\u0000${open.recipient}`, { variant: DEFAULT_VARIANT, slots, at: now });
    return {
      image,
      campaign: o.campaign ?? block.id,
      slots,
      fallback: choice.picks.length < o.tiles ? "recs_fallback_tiles" : undefined,
    };
  }

  private async history(id: string, now: number): Promise<PricePoint[]> {
    const hit = this.histories.get(id);
    if (hit && now - hit.at < 2_000 && now >= hit.at) return hit.h;
    const h = await this.catalog!.history(id, 50);
    this.histories.set(id, { h, at: now });
    return h;
  }
}

/** Where each tile of a choice points, as decision slots: `tileN` its URL, `tileN.p` its product, `tileN.c` its category. */
export function tileSlots(
  o: Pick<RecsOptions, "tiles" | "fallbackUrl" | "categoryUrl">,
  choice: RecsChoice,
): Record<string, string> {
  const slots: Record<string, string> = Object.create(null);
  for (let i = 0; i < o.tiles; i++) {
    const slot = `tile${i + 1}`;
    const p = choice.picks[i]?.product;
    if (!p) {
      slots[slot] = o.fallbackUrl;
      continue;
    }
    slots[slot] = tileUrl(p, o);
    slots[slot + TILE_PRODUCT] = p.id;
    if (p.category) slots[slot + TILE_CATEGORY] = p.category;
  }
  if (choice.personal) slots[PERSONAL_SLOT] = "1";
  return slots;
}

/** A product's tile URL: its catalog page when it has an http(s) one, else its category page, else the block's fallback. */
export function tileUrl(
  p: Pick<ProductRecord, "url" | "category">,
  o: Pick<RecsOptions, "fallbackUrl" | "categoryUrl">,
): string {
  if (p.url && isHttpUrl(p.url)) return p.url;
  return categoryPage(p.category, o) ?? o.fallbackUrl;
}

/** The block's category page for `category`, when it has one. */
export function categoryPage(
  category: string | null | undefined,
  o: Pick<RecsOptions, "categoryUrl">,
): string | null {
  if (!category || !o.categoryUrl) return null;
  const url = o.categoryUrl.replace(/\{category\}|%7Bcategory%7D/g, encodeURIComponent(category));
  return isHttpUrl(url) ? url : null;
}

function tileCard(
  o: RecsOptions,
  t: Tile,
  w: number,
  h: number,
  theme: { background: string; text: string; accent: string; font: string },
  assets: CardAssets,
  hero: boolean,
): CardElement {
  if (!t.p || !t.model) return fallbackTile(o, w, h, theme, assets);
  const m = { ...t.model, image: t.photo };
  if (o.parsedLayout) {
    const values: Record<string, string> = Object.assign(Object.create(null), {
      name: m.name,
      now: m.now,
      was: m.was ?? "",
      discount: m.discount ?? "",
      stock: m.stockLabel ?? "",
    });
    const src = (ref: string) => (ref === "product" ? (t.photo ?? undefined) : imageSrc(ref, assets));
    const tree = layoutTree(o.parsedLayout, (x) => fillTemplate(x, values, 120), src);
    return el(
      "div",
      {
        display: "flex",
        width: w,
        height: h,
        overflow: "hidden",
        backgroundColor: theme.background,
        color: theme.text,
        fontFamily: theme.font,
      },
      tree,
    );
  }
  return priceCard(hero ? "classic" : "tile", m, w, h, theme);
}

function fallbackTile(
  o: RecsOptions,
  w: number,
  h: number,
  theme: { background: string; text: string; accent: string; font: string },
  assets: CardAssets,
): CardElement {
  const src = o.fallbackImage ? imageSrc(o.fallbackImage, assets) : undefined;
  if (src) return pictureBox(src, w, h);
  return el(
    "div",
    {
      display: "flex",
      width: w,
      height: h,
      alignItems: "center",
      justifyContent: "center",
      backgroundColor: theme.background,
      color: theme.accent,
      fontFamily: theme.font,
      fontSize: Math.max(12, Math.round(Math.min(w, h) / 10)),
      padding: 8,
      boxSizing: "border-box",
      textAlign: "center",
    },
    o.fallbackText,
  );
}

/** The whole block: tiles placed by layout (grid rows, one row, or a hero over a row). */
function recsCard(
  o: RecsOptions,
  tiles: Tile[],
  theme: { background: string; text: string; accent: string; font: string },
  assets: CardAssets,
): CardElement {
  const rows: CardChild[] = [];
  const row = (items: Tile[], h: number, cols: number, hero = false) => {
    const w = Math.floor(o.width / cols);
    rows.push(
      el(
        "div",
        { display: "flex", flexDirection: "row", width: o.width, height: h },
        ...items.map((t) => tileCard(o, t, w, h, theme, assets, hero)),
      ),
    );
  };
  if (o.layout === "hero") {
    const rest = tiles.slice(1);
    // The hero is half as tall as wide, the row under it square tiles: split the height so.
    const heroShare = rest.length ? o.width / 2 / (o.width / 2 + o.width / rest.length) : 1;
    const heroH = Math.round(o.height * heroShare);
    row([tiles[0]!], heroH, 1, true);
    if (rest.length) row(rest, o.height - heroH, rest.length);
  } else if (o.layout === "row") {
    row(tiles, o.height, tiles.length);
  } else {
    const cols = o.columns;
    const n = Math.ceil(tiles.length / cols);
    const h = Math.floor(o.height / n);
    for (let r = 0; r < n; r++) row(tiles.slice(r * cols, r * cols + cols), h, cols);
  }
  return el(
    "div",
    {
      display: "flex",
      flexDirection: "column",
      width: o.width,
      height: o.height,
      backgroundColor: theme.background,
      fontFamily: theme.font,
      // No overflow: hidden here: the image's edge clips the grid already, and satori
      // would wrap every element under it in a mask that resvg draws as its own layer.
    },
    ...rows,
  );
}
