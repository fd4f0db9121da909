import { z } from "zod";
import type { RenderCache } from "../blocks/byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { BlockKind, OpenContext, RenderedBlock } from "../blocks/kinds.js";
import { preparedKind } from "../blocks/prepared-options.js";
import { textIssues } from "../blocks/texts.js";
import type { BlockRecord } from "../ports/index.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { type CardAssets, imageRefSchema, imageSrc, noCardAssets } from "./assets.js";
import { type LayoutNode, layoutTexts, parseLayout } from "./banner-layout.js";
import {
  BANNER_SIZES,
  BANNER_TEMPLATES,
  type BannerModel,
  bannerCard,
  customBanner,
} from "./banner-templates.js";
import { optionIssues } from "./issues.js";
import {
  fillTemplate,
  type ParsedTemplate,
  PROFILE_FIELDS,
  parseTemplate,
  profileFields,
} from "./merge-fields.js";
import type { CardRenderer } from "./types.js";

const hex = z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use #rgb or #rrggbb");
const MAX_HEADLINE = 120;
const MAX_SUBLINE = 200;
const MAX_CTA = 40;
/** Layout text may also place the block's own resolved texts. */
const LAYOUT_FIELDS = [...PROFILE_FIELDS, "headline", "subline", "cta"] as const;

/** Options of a `banner` block. Unknown keys are refused; every string and number is bounded. */
export function bannerOptionsSchema(assets: CardAssets) {
  const image = imageRefSchema(assets);
  return z
    .object({
      template: z.enum(BANNER_TEMPLATES).default("hero"),
      headline: z.string().min(1).max(MAX_HEADLINE).default("Hi {{first_name|there}}!"),
      subline: z.string().max(MAX_SUBLINE).optional(),
      cta: z.string().max(MAX_CTA).optional(),
      /** The side image of `split`. */
      image: image.optional(),
      /** Fills the whole banner under the text (cover). */
      backgroundImage: image.optional(),
      /** Darkens the background image for legible text; default 0.35 with an image. */
      overlay: z.number().min(0).max(0.9).optional(),
      width: z.number().int().min(100).max(1200).optional(),
      height: z.number().int().min(40).max(800).optional(),
      scale: z.union([z.literal(1), z.literal(2)]).default(1),
      font: z.string().max(40).optional(),
      background: hex.default("#1e293b"),
      textColor: hex.default("#ffffff"),
      accentColor: hex.default("#f59e0b"),
      ctaTextColor: hex.default("#111827"),
      /** An element tree drawn instead of the template (see banner-layout.ts). */
      layout: z.unknown().optional(),
      campaign: z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -").optional(),
    })
    .strict();
}
type Options = z.infer<ReturnType<typeof bannerOptionsSchema>>;

interface Prepared {
  o: Options;
  width: number;
  height: number;
  headline: ParsedTemplate;
  subline: ParsedTemplate | null;
  cta: ParsedTemplate | null;
  layout: LayoutNode | null;
  /** Profile fields any text uses: their values are the render's only per-recipient input. */
  fields: string[];
}

/**
 * Personalised banners at open: texts with merge fields filled from the recipient's profile
 * (a default for anyone unknown), drawn through the CardRenderer port. The render cache
 * key is the block version plus the values of the fields it uses, so everyone called Ann
 * shares one render, and a banner without fields renders once for all.
 */
export class BannerBlocks {
  private readonly schema: ReturnType<typeof bannerOptionsSchema>;

  constructor(
    private readonly renderer: CardRenderer | undefined,
    private readonly cache: RenderCache,
    private readonly assets: CardAssets = noCardAssets,
  ) {
    this.schema = bannerOptionsSchema(assets);
  }

  kind(): BlockKind {
    return preparedKind(
      "banner",
      (o) => this.prepare(o),
      (p, block, ext, open) => this.render(p, block, ext, open),
      ({ o }) =>
        textIssues(
          [["headline", o.headline], ["subline", o.subline], ["cta", o.cta], ...layoutTexts(o.layout)],
          this.renderer?.coverage,
        ),
    );
  }

  prepare(options: unknown): { ok: true; prepared: Prepared } | { ok: false; issues: string[] } {
    const renderer = this.renderer;
    if (!renderer) return { ok: false, issues: ["banners are not available on this server"] };
    const res = this.schema.safeParse(options);
    if (!res.success) return { ok: false, issues: optionIssues(res.error) };
    const o = res.data;
    if (o.font !== undefined && !renderer.families.includes(o.font))
      return { ok: false, issues: [`font: use one of ${renderer.families.join(", ")}`] };
    const issues: string[] = [];
    const fields = new Set<string>();
    const parse = (text: string | undefined, name: string): ParsedTemplate | null => {
      if (text === undefined) return null;
      const t = parseTemplate(text, PROFILE_FIELDS);
      if (!t.ok) {
        issues.push(`${name}: ${t.issue}`);
        return null;
      }
      for (const s of t.template) if ("field" in s) fields.add(s.field);
      return t.template;
    };
    const headline = parse(o.headline, "headline") ?? [];
    const subline = parse(o.subline, "subline");
    const cta = parse(o.cta, "cta");
    let layout: LayoutNode | null = null;
    if (o.layout !== undefined) {
      const l = parseLayout(o.layout, {
        assets: this.assets,
        fields: LAYOUT_FIELDS,
        families: renderer.families,
      });
      if (!l.ok) issues.push(l.issue);
      else {
        layout = l.layout;
        for (const f of l.fields) if ((PROFILE_FIELDS as readonly string[]).includes(f)) fields.add(f);
      }
    }
    if (issues.length) return { ok: false, issues };
    const size = BANNER_SIZES[o.template];
    return {
      ok: true,
      prepared: {
        o,
        width: o.width ?? size.width,
        height: o.height ?? size.height,
        headline,
        subline,
        cta,
        layout,
        fields: [...fields].sort(),
      },
    };
  }

  private async render(
    p: Prepared,
    block: BlockRecord,
    ext: ImageExt,
    open: OpenContext,
  ): Promise<RenderedBlock> {
    const renderer = this.renderer;
    if (!renderer) throw new RenderError("renderer_unavailable");
    const profile = p.fields.length ? await open.profile() : null;
    const all = profileFields(profile?.traits);
    // Only the fields this banner uses: they are the whole per-recipient input, so they are the key.
    const values: Record<string, string> = {};
    for (const f of p.fields) if (all[f]) values[f] = all[f]!;
    const key = ["banner1", block.id, block.version, JSON.stringify(values), ext].join("\u0000");
    const image = await this.cache.get(key, async () => {
      const headline = fillTemplate(p.headline, values, MAX_HEADLINE);
      const subline = p.subline ? fillTemplate(p.subline, values, MAX_SUBLINE) || null : null;
      const cta = p.cta ? fillTemplate(p.cta, values, MAX_CTA) || null : null;
      const bg = p.o.backgroundImage ? (imageSrc(p.o.backgroundImage, this.assets) ?? null) : null;
      const model: BannerModel = {
        headline,
        subline,
        cta,
        image: p.o.image ? (imageSrc(p.o.image, this.assets) ?? null) : null,
        backgroundImage: bg,
        overlay: p.o.overlay ?? (bg ? 0.35 : 0),
      };
      const theme = {
        background: p.o.background,
        text: p.o.textColor,
        accent: p.o.accentColor,
        ctaText: p.o.ctaTextColor,
        font: p.o.font ?? renderer.families[0]!,
      };
      const layoutValues = { ...values, headline, subline: subline ?? "", cta: cta ?? "" };
      const tree = p.layout
        ? customBanner(
            p.layout,
            (t) => fillTemplate(t, layoutValues, MAX_SUBLINE),
            model,
            p.width,
            p.height,
            theme,
            (ref) => imageSrc(ref, this.assets),
          )
        : bannerCard(p.o.template, model, p.width, p.height, theme);
      return {
        bytes: await renderer.render(tree, {
          width: p.width,
          height: p.height,
          scale: p.o.scale,
          format: ext,
        }),
        contentType: CONTENT_TYPES[ext],
      };
    });
    return { image, campaign: p.o.campaign ?? block.id };
  }
}
