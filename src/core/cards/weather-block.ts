import type { RenderCache } from "../blocks/byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { BlockKind, OpenContext, RenderedBlock } from "../blocks/kinds.js";
import { preparedKind } from "../blocks/prepared-options.js";
import { textIssues } from "../blocks/texts.js";
import type { BlockRecord } from "../ports/index.js";
import { Lru } from "../util/lru.js";
import { resolvePlace } from "../weather/location.js";
import type { WeatherLookup, WeatherService } from "../weather/service.js";
import { type CardAssets, imageSrc, noCardAssets } from "./assets.js";
import { type LayoutNode, layoutTree, parseLayout } from "./banner-layout.js";
import { optionIssues } from "./issues.js";
import {
  cleanText,
  fillTemplate,
  type ParsedTemplate,
  PROFILE_FIELDS,
  parseTemplate,
  profileFields,
} from "./merge-fields.js";
import { type CardRenderer, el } from "./types.js";
import type { IconName } from "./weather-icons.js";
import {
  BORROWS,
  CONTENT_KEYS,
  type ContentKey,
  fahrenheitByDefault,
  MAX_HEADLINE,
  MAX_TEXT,
  WEATHER_DEFAULTS,
  WEATHER_FIELDS,
  WEATHER_LAYOUT_FIELDS,
  type WeatherOptions,
  weatherOptionsSchema,
  weatherOptionTexts,
} from "./weather-options.js";
import { WEATHER_SIZES, type WeatherCardModel, weatherCard } from "./weather-templates.js";
import { weatherTexts } from "./weather-texts.js";

interface Content {
  headline: ParsedTemplate;
  text: ParsedTemplate | null;
  image?: string;
  background: string;
  accent: string;
}

/** A block version's options with defaults resolved and templates parsed: built once per edit. */
interface Prepared {
  o: WeatherOptions;
  width: number;
  height: number;
  celsius: boolean;
  content: Record<ContentKey, Content>;
  usesProfile: boolean;
  layout: LayoutNode | null;
}

/**
 * Weather cards at open: the place (URL → block → profile → default), the weather there
 * (WeatherService: cached per cell, within a time budget), the content the condition picks,
 * drawn through the CardRenderer port. The render cache key holds the block version and the
 * resolved card (condition, rounded temperature, label, texts) — never the coordinates —
 * so everyone in the same weather shares one render.
 */
export class WeatherBlocks {
  private readonly schema: ReturnType<typeof weatherOptionsSchema>;
  // Intl formatters per locale+unit: building one costs far more than formatting with it.
  private readonly formatters = new Lru<string, Intl.NumberFormat>(200);

  constructor(
    private readonly renderer: CardRenderer | undefined,
    private readonly weather: WeatherService | undefined,
    private readonly cache: RenderCache,
    private readonly assets: CardAssets = noCardAssets,
    /** Draws operator layouts (guarded against off-canvas boxes, see banner-layout.ts). */
    private readonly layoutRenderer?: CardRenderer,
  ) {
    this.schema = weatherOptionsSchema(assets);
  }

  kind(): BlockKind {
    return preparedKind(
      "weather",
      (o) => this.prepare(o),
      (p, block, ext, open) => this.render(p, block, ext, open),
      ({ o }) => textIssues(weatherOptionTexts(o), this.renderer?.coverage),
    );
  }

  prepare(options: unknown): { ok: true; prepared: Prepared } | { ok: false; issues: string[] } {
    if (!this.renderer) return { ok: false, issues: ["weather cards are not available on this server"] };
    const res = this.schema.safeParse(options);
    if (!res.success) return { ok: false, issues: optionIssues(res.error) };
    const o = res.data;
    if (o.font !== undefined && !this.renderer.families.includes(o.font))
      return { ok: false, issues: [`font: use one of ${this.renderer.families.join(", ")}`] };
    const issues: string[] = [];
    let usesProfile = false;
    const parse = (text: string, path: string) => {
      const t = parseTemplate(text, WEATHER_FIELDS);
      if (!t.ok) {
        issues.push(`${path}: ${t.issue}`);
        return [];
      }
      usesProfile ||= t.template.some(
        (s) => "field" in s && (PROFILE_FIELDS as readonly string[]).includes(s.field),
      );
      return t.template;
    };
    const content = {} as Record<ContentKey, Content>;
    const texts = weatherTexts(o.locale);
    for (const k of CONTENT_KEYS) {
      const mine = o.content?.[k];
      const borrowed = BORROWS[k] ? o.content?.[BORROWS[k]!] : undefined;
      const c = mine ?? borrowed;
      const d = WEATHER_DEFAULTS[k];
      const path = `content.${mine ? k : BORROWS[k]}`;
      content[k] = {
        headline: parse(c?.headline ?? texts[k].headline, `${path}.headline`),
        text: c ? (c.text ? parse(c.text, `${path}.text`) : null) : parse(texts[k].text, "text"),
        image: c?.image,
        background: c?.background ?? o.background ?? d.background,
        accent: c?.accentColor ?? o.accentColor ?? d.accent,
      };
    }
    let layout: LayoutNode | null = null;
    if (o.layout !== undefined) {
      const l = parseLayout(o.layout, {
        assets: this.assets,
        fields: WEATHER_LAYOUT_FIELDS,
        families: this.renderer.families,
      });
      if (!l.ok) issues.push(l.issue);
      else {
        layout = l.layout;
        usesProfile ||= [...l.fields].some((f) => (PROFILE_FIELDS as readonly string[]).includes(f));
      }
    }
    if (issues.length) return { ok: false, issues: [...new Set(issues)] };
    const size = WEATHER_SIZES[o.template];
    return {
      ok: true,
      prepared: {
        o,
        width: o.width ?? size.width,
        height: o.height ?? size.height,
        celsius: o.units ? o.units === "c" : !fahrenheitByDefault(o.locale),
        content,
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
    const where = await resolvePlace(open, p.o);
    let lookup: WeatherLookup | null = null;
    if (where && this.weather) lookup = await this.weather.lookup(where.lat, where.lon);
    const now = lookup?.weather ?? null;
    // Only a place we could not get weather for is a fallback; no place at all is the
    // neutral content by design (nothing failed).
    const fallback = where && !now ? `weather_${lookup?.miss ?? "unavailable"}` : undefined;
    const key: ContentKey = now ? now.condition : "neutral";
    const c = p.content[key];
    const temperature = now ? this.temperature(now.temperatureC, p) : null;
    const label = now && where?.label ? cleanText(where.label, 40) || null : null;
    const profile = p.usesProfile ? await open.profile() : null;
    const values = {
      ...profileFields(profile?.traits),
      temperature: temperature ?? "",
      location: label ?? "",
    };
    const model: WeatherCardModel = {
      icon: key as IconName,
      headline: fillTemplate(c.headline, values, MAX_HEADLINE),
      text: c.text ? fillTemplate(c.text, values, MAX_TEXT) || null : null,
      image: c.image ? (imageSrc(c.image, this.assets) ?? null) : null,
      temperature,
      label,
    };
    const theme = {
      background: c.background,
      text: p.o.textColor,
      accent: c.accent,
      font: p.o.font ?? renderer.families[0]!,
    };
    // The block version stands for template, size, theme and images (which may be large).
    const cacheKey = [
      "weather1",
      block.id,
      block.version,
      key,
      JSON.stringify({ ...model, image: model.image !== null }),
      ext,
    ].join("\u0000");
    const layout = p.layout;
    // Built only on a cache miss: a hot card is opened thousands of times a second.
    const tree = () =>
      layout
        ? el(
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
              (t) =>
                fillTemplate(
                  t,
                  { ...values, headline: model.headline, text: model.text ?? "", condition: key },
                  MAX_TEXT,
                ),
              (ref) => imageSrc(ref, this.assets),
            ),
          )
        : weatherCard(p.o.template, model, p.width, p.height, theme);
    const draw = layout ? (this.layoutRenderer ?? renderer) : renderer;
    const image = await this.cache.get(cacheKey, async () => ({
      bytes: await draw.render(tree(), {
        width: p.width,
        height: p.height,
        scale: p.o.scale,
        format: ext,
      }),
      contentType: CONTENT_TYPES[ext],
    }));
    return { image, campaign: p.o.campaign ?? block.id, fallback };
  }

  /** Rounded to whole degrees in the block's units and locale ("12°C", "54°F", "12 °C"). */
  private temperature(celsius: number, p: Prepared): string {
    const value = p.celsius ? celsius : (celsius * 9) / 5 + 32;
    const unit = p.celsius ? "celsius" : "fahrenheit";
    const k = `${p.o.locale}:${unit}`;
    let f = this.formatters.get(k);
    if (!f) {
      f = new Intl.NumberFormat(p.o.locale, { style: "unit", unit, maximumFractionDigits: 0 });
      this.formatters.set(k, f);
    }
    // `|| 0` turns -0 into 0: nobody wants to read "-0°C".
    return f.format(Math.round(value) || 0);
  }
}
