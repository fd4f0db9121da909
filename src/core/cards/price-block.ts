import { z } from "zod";
import type { CachedImage, RenderCache } from "../blocks/byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { BlockKind } from "../blocks/kinds.js";
import { PreparedOptions } from "../blocks/prepared-options.js";
import { textIssues } from "../blocks/texts.js";
import { productId } from "../catalog/schema.js";
import type { CatalogStore, PricePoint, ProductRecord } from "../ports/catalog.js";
import type { BlockRecord, Clock } from "../ports/index.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { Lru } from "../util/lru.js";
import { type CardAssets, imageSrc, noCardAssets } from "./assets.js";
import { type LayoutNode, layoutTexts, layoutTree, parseLayout } from "./banner-layout.js";
import { fillTemplate } from "./merge-fields.js";
import type { PriceCardModel } from "./price-model.js";
import { isKnownLocale, priceCardModel, priceModelValidUntil } from "./price-model.js";
import { PRICE_SIZES, PRICE_TEMPLATES, priceCard } from "./price-templates.js";
import type { ProductImages } from "./product-images.js";
import { type CardElement, type CardRenderer, el } from "./types.js";

const hex = z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use #rgb or #rrggbb");

/** Options of a `price` block: which product, and how its card looks. */
export const priceOptionsSchema = z
  .object({
    productId,
    template: z.enum(PRICE_TEMPLATES).default("classic"),
    locale: z.string().max(35).refine(isKnownLocale, "unknown locale").default("en-US"),
    // Bounded: a render is ~25 ms of CPU at 600x300 and grows with the pixel count.
    /** Default: the template's own size (PRICE_SIZES). */
    width: z.number().int().min(200).max(1200).optional(),
    height: z.number().int().min(80).max(800).optional(),
    scale: z.union([z.literal(1), z.literal(2)]).default(1),
    lowStock: z.number().int().min(0).max(1000).default(5),
    dropDays: z.number().int().min(1).max(365).default(30),
    font: z.string().max(40).optional(),
    background: hex.default("#ffffff"),
    textColor: hex.default("#111827"),
    accentColor: hex.default("#d92d20"),
    campaign: z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -").optional(),
    /**
     * An operator's own card: an element tree checked like a banner layout (banner-layout.ts),
     * drawn instead of the template, its texts using PRICE_LAYOUT_FIELDS.
     */
    layout: z.unknown().optional(),
  })
  .strict();
export type PriceOptions = z.infer<typeof priceOptionsSchema> & {
  width: number;
  height: number;
  parsedLayout?: LayoutNode;
};

/** What a custom price layout's texts may use (`{{now}}`, `{{was|}}`…), from the card model. */
export const PRICE_LAYOUT_FIELDS = ["name", "now", "was", "discount", "stock"] as const;

// Products (with history) read in the last second: a hot card is opened thousands of times
// a second; this process drops an entry when it writes the product, others see it within 1 s.
const PRODUCT_TTL_MS = 1000;

/**
 * Price cards at open: the block's product as it is now, drawn through the CardRenderer
 * port. The render cache key is everything that decides the pixels — template, size, scale,
 * format, theme, the product's id and version, and the derived card model (which also holds
 * time-dependent state such as whether a drop is still shown).
 */
/** An operator's price layout as a card: the model's texts filled in, on the block's colours. */
function customPriceCard(
  layout: LayoutNode,
  m: PriceCardModel,
  photo: string | null,
  width: number,
  height: number,
  theme: { background: string; text: string; font: string },
  assets: CardAssets,
): CardElement {
  const values: Record<string, string> = {
    name: m.name,
    now: m.now,
    was: m.was ?? "",
    discount: m.discount ?? "",
    stock: m.stockLabel ?? "",
  };
  // "product" is the product's photo (fetched once per product version), when it has one.
  const src = (ref: string) => (ref === "product" ? (photo ?? undefined) : imageSrc(ref, assets));
  const tree = layoutTree(layout, (t) => fillTemplate(t, values, 120), src);
  return el(
    "div",
    {
      display: "flex",
      width,
      height,
      overflow: "hidden",
      backgroundColor: theme.background,
      color: theme.text,
      fontFamily: theme.font,
    },
    tree,
  );
}

export class PriceBlocks {
  private readonly prepared = new PreparedOptions<PriceOptions>((options) => {
    const res = this.parse(options);
    return res.ok ? res.options : null;
  });
  private readonly products = new Lru<string, { p: ProductRecord; h: PricePoint[]; at: number }>(10_000);
  // The cache key per (block version, product version): building it formats money with Intl
  // and serialises the model (~50 µs), too much to repeat on every open of a hot card.
  // The tree takes the image rather than holding it: a fetched image is held (byte-bounded)
  // by ProductImages only, not once more per block here.
  private readonly keys = new Lru<
    string,
    { key: string; tree: (image: string | null) => CardElement; until: number }
  >(10_000);

  constructor(
    private readonly renderer: CardRenderer | undefined,
    private readonly catalog: CatalogStore | undefined,
    private readonly clock: Clock,
    private readonly cache: RenderCache,
    /** http(s) product images, fetched once per product version; absent: only data: images are drawn. */
    private readonly images?: ProductImages,
    /** For custom layouts: the images they may name, and the renderer that guards operator trees. */
    private readonly layouts: { assets: CardAssets; renderer?: CardRenderer } = { assets: noCardAssets },
  ) {}

  parse(options: unknown): { ok: true; options: PriceOptions } | { ok: false; issues: string[] } {
    if (!this.renderer || !this.catalog)
      return { ok: false, issues: ["price cards are not available on this server"] };
    const res = priceOptionsSchema.safeParse(options);
    if (!res.success)
      return { ok: false, issues: res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
    const size = PRICE_SIZES[res.data.template];
    const o = { ...res.data, width: res.data.width ?? size.width, height: res.data.height ?? size.height };
    if (o.font !== undefined && !this.renderer.families.includes(o.font))
      return { ok: false, issues: [`font: use one of ${this.renderer.families.join(", ")}`] };
    if (o.layout === undefined) return { ok: true, options: o };
    const l = parseLayout(o.layout, {
      assets: this.layouts.assets,
      fields: PRICE_LAYOUT_FIELDS,
      families: this.renderer.families,
      // {"type":"img","src":"product",…} draws the product's photo (when it has one).
      images: ["product"],
    });
    if (!l.ok) return { ok: false, issues: [l.issue] };
    return { ok: true, options: { ...o, parsedLayout: l.layout } };
  }

  /** Price cards as a block kind (PNG by default: a still, sharper and smaller than GIF). */
  kind(): BlockKind {
    return {
      type: "price",
      defaultExt: "png",
      // A save: the options parse, and the layout's texts can be drawn (a check only a save makes).
      parse: (options) => {
        const res = this.parse(options);
        if (!res.ok) return res;
        const issues = textIssues(layoutTexts(res.options.layout), this.renderer?.coverage);
        return issues.length ? { ok: false, issues } : res;
      },
      render: (block, ext) => this.render(block, ext),
    };
  }

  /** Call after writing products, so this process shows the change at the next open. */
  forgetProduct(id: string): void {
    this.products.delete(id);
  }

  async render(block: BlockRecord, ext: ImageExt): Promise<{ image: CachedImage; campaign: string }> {
    const renderer = this.renderer;
    if (!renderer || !this.catalog) throw new RenderError("renderer_unavailable");
    const o = this.prepared.of(block);
    const entry = await this.product(o.productId);
    if (!entry) throw new RenderError("unknown_product");
    const photo = this.images
      ? await this.images.get(entry.p)
      : entry.p.imageUrl?.startsWith("data:image/")
        ? entry.p.imageUrl
        : null;
    const now = this.clock.now();
    // Whether the image is drawn is in the key: a failed fetch retried later changes the card.
    const memoKey = `${block.id}:${block.version}:${entry.p.id}:${entry.p.version}:${photo ? 1 : 0}`;
    let memo = this.keys.get(memoKey);
    if (!memo || now >= memo.until) {
      const model = priceCardModel(entry.p, entry.h, now, o);
      const theme = {
        background: o.background,
        text: o.textColor,
        accent: o.accentColor,
        font: o.font ?? renderer.families[0]!,
      };
      // The image can be a large data: URL; the product version (with whether an image is
      // drawn at all) stands for it in the key, so a remote image is not fetched per open.
      const key = [
        "price1",
        // A custom layout decides the pixels instead of the template (it is small: ≤ 60 nodes).
        o.parsedLayout ? `layout:${JSON.stringify(o.layout)}` : o.template,
        `${o.width}x${o.height}@${o.scale}`,
        JSON.stringify(theme),
        entry.p.id,
        entry.p.version,
        JSON.stringify({ ...model, image: photo !== null }),
      ].join("\u0000");
      const layout = o.parsedLayout;
      memo = {
        key,
        tree: layout
          ? (img) => customPriceCard(layout, model, img, o.width, o.height, theme, this.layouts.assets)
          : (img) => priceCard(o.template, { ...model, image: img }, o.width, o.height, theme),
        until: priceModelValidUntil(entry.p, now, o.dropDays),
      };
      this.keys.set(memoKey, memo);
    }
    const tree = memo.tree;
    // Operator trees go through the guarded renderer (see banner-layout.ts), built-ins not.
    const draw = o.parsedLayout ? (this.layouts.renderer ?? renderer) : renderer;
    const image = await this.cache.get(`${memo.key}\u0000${ext}`, async () => ({
      bytes: await draw.render(tree(photo), {
        width: o.width,
        height: o.height,
        scale: o.scale,
        format: ext,
      }),
      contentType: CONTENT_TYPES[ext],
    }));
    return { image, campaign: o.campaign ?? block.id };
  }

  private async product(id: string) {
    const now = this.clock.now();
    const hit = this.products.get(id);
    if (hit && now - hit.at < PRODUCT_TTL_MS && now >= hit.at) return hit;
    const p = await this.catalog!.get(id);
    if (!p) {
      this.products.delete(id);
      return null;
    }
    const entry = { p, h: await this.catalog!.history(id), at: now };
    this.products.set(id, entry);
    return entry;
  }
}
