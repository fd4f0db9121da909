import { z } from "zod";
import type { RenderCache } from "../blocks/byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { BlockKind, OpenContext, RenderedBlock } from "../blocks/kinds.js";
import { preparedKind } from "../blocks/prepared-options.js";
import { textIssues } from "../blocks/texts.js";
import { FORMATS, type FormatSpec, formatValue } from "../live/format.js";
import { numberOf, PATH_RE, valueAt } from "../live/paths.js";
import type { OpenReadings, SourceService } from "../live/sources.js";
import type { BlockRecord } from "../ports/index.js";
import { isTimeZone } from "../rules/conditions.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { dict } from "../util/dict.js";
import { Lru } from "../util/lru.js";
import { type CardAssets, imageSrc, noCardAssets } from "./assets.js";
import { type LayoutNode, layoutTexts, layoutTree, parseLayout } from "./banner-layout.js";
import {
  DATA_SIZES,
  DATA_TEMPLATES,
  type DataCardModel,
  type DataTheme,
  dataCard,
  sparkline,
  type Trend,
  trendColor,
} from "./data-templates.js";
import { optionIssues } from "./issues.js";
import { cleanText, fillTemplate, PROFILE_FIELDS, profileFields } from "./merge-fields.js";
import { isKnownLocale } from "./price-model.js";
import { type CardRenderer, el } from "./types.js";

const hex = z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use #rgb or #rrggbb");
const FIELD_NAME = /^[a-z][a-z0-9_]{0,31}$/;
const MAX_FIELDS = 24;
/** A value drawn from a source is cut to this many characters. */
const MAX_VALUE = 60;
/** Fields every data block has besides its bound ones. */
const BUILT_IN = ["updated", "notice"] as const;

const fieldSchema = z
  .object({
    /** A path in the source's value. */
    path: z.string().regex(PATH_RE, "a dotted path (quote.last, 0.price)").optional(),
    /** A path in the recipient's profile traits. */
    profile: z.string().regex(PATH_RE, "a dotted path into the traits").optional(),
    format: z.enum(FORMATS).default("text"),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "an ISO 4217 code")
      .optional(),
    digits: z.number().int().min(0).max(6).optional(),
    signed: z.boolean().optional(),
    points: z.boolean().optional(),
    /** Drawn when the value is missing or cannot be formatted. */
    fallback: z.string().max(40).default("—"),
  })
  .strict()
  .refine((f) => (f.path === undefined) !== (f.profile === undefined), "give exactly one of path, profile");

export function dataOptionsSchema() {
  return z
    .object({
      /** The id of a source (POST /v1/sources). */
      source: z.string().min(1).max(128),
      template: z.enum(DATA_TEMPLATES).default("quote"),
      fields: z
        .record(z.string().regex(FIELD_NAME, "field names are a-z 0-9 _ (1-32)"), fieldSchema)
        .refine((f) => Object.keys(f).length <= MAX_FIELDS, `at most ${MAX_FIELDS} fields`)
        .default({}),
      /** The field whose number's sign colours the card (default: `change` when bound). */
      trend: z.string().regex(FIELD_NAME).optional(),
      /** A fixed line, such as a delayed-data notice ("Delayed 15 min. Not investment advice."). */
      notice: z.string().max(120).optional(),
      /** Drawn when the source has never answered (and no field can be shown). */
      unavailable: z.string().min(1).max(80).default("Data unavailable"),
      /** A value older than this is shown with its age ("as of 5 min ago"). */
      staleAfterSeconds: z
        .number()
        .int()
        .min(1)
        .max(7 * 86_400)
        .optional(),
      sparkline: z.boolean().default(true),
      locale: z.string().max(35).refine(isKnownLocale, "unknown locale").default("en-US"),
      timeZone: z.string().max(64).refine(isTimeZone, "unknown IANA time zone").default("UTC"),
      width: z.number().int().min(100).max(1200).optional(),
      height: z.number().int().min(40).max(800).optional(),
      scale: z.union([z.literal(1), z.literal(2)]).default(1),
      font: z.string().max(40).optional(),
      background: hex.default("#ffffff"),
      textColor: hex.default("#111827"),
      mutedColor: hex.default("#6b7280"),
      upColor: hex.default("#16a34a"),
      downColor: hex.default("#dc2626"),
      flatColor: hex.default("#6b7280"),
      /** An element tree drawn instead of the template (see banner-layout.ts); img "sparkline" draws it. */
      layout: z.unknown().optional(),
      campaign: z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -").optional(),
    })
    .strict();
}
type Options = z.infer<ReturnType<typeof dataOptionsSchema>>;
type Field = z.infer<typeof fieldSchema>;

interface Prepared {
  o: Options;
  width: number;
  height: number;
  fields: [string, Field, FormatSpec][];
  trend: string | null;
  usesProfile: boolean;
  layout: LayoutNode | null;
}

/**
 * `data` blocks: a card whose fields are bound to paths in a source's value (and the
 * profile), formatted by locale, coloured by the trend, with a sparkline of the source's
 * recent values. A source that fails gives its last good value (the reason in
 * X-Opentime-Fallback); one that never answered gives the block's `unavailable` card.
 */
export class DataBlocks {
  private readonly schema = dataOptionsSchema();
  // The last render per block version, reused while the reading and the second are the
  // same (an interval source opened thousands of times a second formats nothing anew).
  private readonly last = new Lru<
    string,
    { value: unknown; at: number | null; miss: string | null; second: number; out: RenderedBlock }
  >(10_000);

  constructor(
    private readonly renderer: CardRenderer | undefined,
    private readonly sources: SourceService,
    private readonly readings: OpenReadings,
    private readonly cache: RenderCache,
    private readonly assets: CardAssets = noCardAssets,
    private readonly layoutRenderer?: CardRenderer,
  ) {}

  kind(): BlockKind {
    return preparedKind(
      "data",
      (o) => this.prepare(o),
      (p, block, ext, open) => this.render(p, block, ext, open),
      ({ o }) =>
        textIssues(
          [
            ["notice", o.notice],
            ["unavailable", o.unavailable],
            ...Object.entries(o.fields).map(
              ([k, f]) => [`fields.${k}.fallback`, f.fallback] as [string, string],
            ),
            ...layoutTexts(o.layout),
          ],
          this.renderer?.coverage,
        ),
    );
  }

  prepare(options: unknown): { ok: true; prepared: Prepared } | { ok: false; issues: string[] } {
    const renderer = this.renderer;
    if (!renderer) return { ok: false, issues: ["data cards are not available on this server"] };
    if (!this.sources.available)
      return { ok: false, issues: ["data sources are not available on this server"] };
    const res = this.schema.safeParse(options);
    if (!res.success) return { ok: false, issues: optionIssues(res.error) };
    const o = res.data;
    if (o.font !== undefined && !renderer.families.includes(o.font))
      return { ok: false, issues: [`font: use one of ${renderer.families.join(", ")}`] };
    const names = Object.keys(o.fields);
    if (o.trend !== undefined && !names.includes(o.trend))
      return { ok: false, issues: ["trend: not a bound field"] };
    let layout: LayoutNode | null = null;
    let usesProfile = Object.values(o.fields).some((f) => f.profile !== undefined);
    if (o.layout !== undefined) {
      const l = parseLayout(o.layout, {
        assets: this.assets,
        fields: [...names, ...BUILT_IN, ...PROFILE_FIELDS],
        families: renderer.families,
        images: ["sparkline"],
      });
      if (!l.ok) return { ok: false, issues: [l.issue] };
      layout = l.layout;
      usesProfile ||= [...l.fields].some((f) => (PROFILE_FIELDS as readonly string[]).includes(f));
    }
    const size = DATA_SIZES[o.template];
    return {
      ok: true,
      prepared: {
        o,
        width: o.width ?? size.width,
        height: o.height ?? size.height,
        fields: Object.entries(o.fields).map(([k, f]) => [k, f, f as FormatSpec]),
        trend: o.trend ?? (names.includes("change") ? "change" : null),
        usesProfile,
        layout,
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
    const o = p.o;
    const reading = await this.readings.read(open, o.source);
    const memoKey = `${block.id}:${block.version}:${ext}`;
    const second = Math.floor(open.now / 1000);
    const memo = p.usesProfile ? undefined : this.last.get(memoKey);
    if (
      memo &&
      memo.value === reading.value &&
      memo.at === reading.at &&
      memo.miss === reading.miss &&
      memo.second === second
    )
      return memo.out;
    const profile = p.usesProfile ? await open.profile() : null;
    const values = dict<string>();
    let missingPath = false;
    let trend: Trend | null = null;
    const hasValue = reading.at !== null;
    for (const [name, f, spec] of p.fields) {
      const raw =
        f.path !== undefined
          ? hasValue
            ? valueAt(reading.value, f.path)
            : undefined
          : valueAt(profile?.traits, f.profile!);
      const text = formatValue(raw, spec, o.locale, o.timeZone, open.now);
      if (text === null && f.path !== undefined && hasValue) missingPath = true;
      values[name] = text === null ? f.fallback : cleanText(text, MAX_VALUE);
      if (name === p.trend && raw !== undefined) {
        const n = numberOf(raw);
        if (Number.isFinite(n)) trend = n > 0 ? "up" : n < 0 ? "down" : "flat";
      }
    }
    const age =
      reading.at === null
        ? null
        : formatValue(reading.at, { format: "relative" }, o.locale, o.timeZone, open.now);
    values.updated = age ?? "";
    const stale =
      reading.at !== null &&
      (reading.miss !== null ||
        (o.staleAfterSeconds !== undefined && open.now - reading.at > o.staleAfterSeconds * 1000));
    const notice = [o.notice, stale && age ? `as of ${age}` : null].filter(Boolean).join(" · ");
    values.notice = notice;
    const spark =
      o.sparkline && hasValue
        ? this.sources.history(o.source).map((h) => Math.round(h.value * 1e4) / 1e4)
        : [];
    const model: DataCardModel = {
      values: { ...values },
      trend,
      spark,
      notice,
      unavailable: hasValue ? null : o.unavailable,
    };
    // Why this is not the fresh, complete card: the source's failure first, else a path it lacked.
    const fallback = reading.miss ?? (missingPath ? "data_missing_path" : undefined);
    const theme: DataTheme = {
      background: o.background,
      text: o.textColor,
      muted: o.mutedColor,
      up: o.upColor,
      down: o.downColor,
      flat: o.flatColor,
      font: o.font ?? renderer.families[0]!,
    };
    const cacheKey = ["data1", block.id, block.version, JSON.stringify(model), ext].join("\u0000");
    const layout = p.layout;
    const tree = () => {
      if (!layout) return dataCard(o.template, model, p.width, p.height, theme);
      const fill = { ...profileFields(profile?.traits), ...model.values };
      const line = sparkline(model.spark, 120, 40, trendColor(theme, trend));
      return el(
        "div",
        {
          display: "flex",
          width: p.width,
          height: p.height,
          overflow: "hidden",
          backgroundColor: theme.background,
          color: theme.text,
          fontFamily: theme.font,
        },
        layoutTree(
          layout,
          (t) => fillTemplate(t, fill, 200),
          (ref) => (ref === "sparkline" ? line?.props.src : imageSrc(ref, this.assets)),
        ),
      );
    };
    const draw = layout ? (this.layoutRenderer ?? renderer) : renderer;
    const image = await this.cache.get(cacheKey, async () => ({
      bytes: await draw.render(tree(), { width: p.width, height: p.height, scale: o.scale, format: ext }),
      contentType: CONTENT_TYPES[ext],
    }));
    const out = { image, campaign: o.campaign ?? block.id, fallback };
    if (!p.usesProfile)
      this.last.set(memoKey, { value: reading.value, at: reading.at, miss: reading.miss, second, out });
    return out;
  }
}
