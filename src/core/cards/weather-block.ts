import { z } from "zod";
import type { RenderCache } from "../blocks/byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { BlockKind, OpenContext, RenderedBlock } from "../blocks/kinds.js";
import type { BlockRecord } from "../ports/index.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { Lru } from "../util/lru.js";
import { resolvePlace } from "../weather/location.js";
import type { WeatherLookup, WeatherService } from "../weather/service.js";
import { type CardAssets, imageRefSchema, imageSrc, noCardAssets } from "./assets.js";
import { optionIssues } from "./issues.js";
import {
  cleanText,
  fillTemplate,
  type ParsedTemplate,
  PROFILE_FIELDS,
  parseTemplate,
  profileFields,
} from "./merge-fields.js";
import { isKnownLocale } from "./price-model.js";
import type { CardRenderer } from "./types.js";
import type { IconName } from "./weather-icons.js";
import { WEATHER_SIZES, WEATHER_TEMPLATES, type WeatherCardModel, weatherCard } from "./weather-templates.js";

const hex = z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use #rgb or #rrggbb");
export const CONTENT_KEYS = [
  "clear",
  "cloudy",
  "fog",
  "drizzle",
  "rain",
  "snow",
  "thunderstorm",
  "neutral",
] as const;
/** Merge fields weather text may use: the reading itself, and the recipient's profile. */
const FIELDS = ["temperature", "location", ...PROFILE_FIELDS] as const;
const MAX_HEADLINE = 120;
const MAX_TEXT = 200;

const place = z
  .object({
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    label: z.string().min(1).max(40).optional(),
  })
  .strict();

/** Options of a `weather` block. Unknown keys are refused; every string and number is bounded. */
export function weatherOptionsSchema(assets: CardAssets) {
  const content = z
    .object({
      headline: z.string().min(1).max(MAX_HEADLINE),
      text: z.string().max(MAX_TEXT).optional(),
      image: imageRefSchema(assets).optional(),
      background: hex.optional(),
      accentColor: hex.optional(),
    })
    .strict();
  return z
    .object({
      /** Always this place (unless the URL names one). */
      location: place.optional(),
      /** This place when neither the URL nor the profile names one. */
      defaultLocation: place.optional(),
      units: z.enum(["c", "f"]).optional(),
      locale: z.string().max(35).refine(isKnownLocale, "unknown locale").default("en-US"),
      template: z.enum(WEATHER_TEMPLATES).default("card"),
      width: z.number().int().min(100).max(1200).optional(),
      height: z.number().int().min(60).max(800).optional(),
      scale: z.union([z.literal(1), z.literal(2)]).default(1),
      font: z.string().max(40).optional(),
      background: hex.optional(),
      textColor: hex.default("#111827"),
      accentColor: hex.optional(),
      /** What to show per condition; `neutral` when the weather or the place is unknown. */
      content: z
        .object(Object.fromEntries(CONTENT_KEYS.map((k) => [k, content.optional()])))
        .strict()
        .optional(),
      campaign: z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -").optional(),
    })
    .strict();
}
export type ContentKey = (typeof CONTENT_KEYS)[number];
type Options = z.infer<ReturnType<typeof weatherOptionsSchema>>;

interface Content {
  headline: ParsedTemplate;
  text: ParsedTemplate | null;
  image?: string;
  background: string;
  accent: string;
}

/** A block version's options with defaults resolved and templates parsed: built once per edit. */
interface Prepared {
  o: Options;
  width: number;
  height: number;
  celsius: boolean;
  content: Record<ContentKey, Content>;
  usesProfile: boolean;
}

/**
 * Built-in content and colours per condition. A condition the block does not configure
 * borrows its nearest configured one first (drizzle and storms → rain, fog → cloudy), so a
 * "rain" entry covers every wet day.
 */
export const WEATHER_DEFAULTS: Record<
  ContentKey,
  { headline: string; text: string; background: string; accent: string }
> = {
  clear: {
    headline: "Sunny days are here",
    text: "Light layers and shades for the bright days ahead.",
    background: "#fff7e6",
    accent: "#b45309",
  },
  cloudy: {
    headline: "Clouds rolling in",
    text: "Easy layers for grey days.",
    background: "#f1f5f9",
    accent: "#475569",
  },
  fog: {
    headline: "A foggy one today",
    text: "Stay cosy: our indoor favourites.",
    background: "#f3f4f6",
    accent: "#4b5563",
  },
  drizzle: {
    headline: "A little drizzle",
    text: "A light jacket is all it takes.",
    background: "#eff6ff",
    accent: "#1d4ed8",
  },
  rain: {
    headline: "Rainy day? Stay dry.",
    text: "Rain jackets and boots, ready when you are.",
    background: "#e8f0fe",
    accent: "#1d4ed8",
  },
  snow: {
    headline: "Snow day!",
    text: "Warm knits and boots for the cold.",
    background: "#f0f9ff",
    accent: "#0369a1",
  },
  thunderstorm: {
    headline: "Stormy out there",
    text: "Stay in and shop from the sofa.",
    background: "#f5f3ff",
    accent: "#6d28d9",
  },
  neutral: {
    headline: "Whatever the weather",
    text: "Something for every kind of day.",
    background: "#f0fdfa",
    accent: "#0f766e",
  },
};
const BORROWS: Partial<Record<ContentKey, ContentKey>> = {
  drizzle: "rain",
  thunderstorm: "rain",
  fog: "cloudy",
};

// Regions that read temperatures in Fahrenheit (the US and a few others).
const FAHRENHEIT_REGIONS = new Set(["US", "LR", "MM", "BS", "BZ", "KY", "PW", "FM", "MH"]);

function fahrenheitByDefault(locale: string): boolean {
  try {
    return FAHRENHEIT_REGIONS.has(new Intl.Locale(locale).maximize().region ?? "");
  } catch {
    return false;
  }
}

/**
 * Weather cards at open: the place (URL → block → profile → default), the weather there
 * (WeatherService: cached per cell, within a time budget), the content the condition picks,
 * drawn through the CardRenderer port. The render cache key holds the block version and the
 * resolved card (condition, rounded temperature, label, texts) — never the coordinates —
 * so everyone in the same weather shares one render.
 */
export class WeatherBlocks {
  private readonly parsed = new Lru<string, Prepared>(10_000);
  private readonly schema: ReturnType<typeof weatherOptionsSchema>;
  // Intl formatters per locale+unit: building one costs ~20 µs, formatting with it ~1 µs.
  private readonly formatters = new Lru<string, Intl.NumberFormat>(200);

  constructor(
    private readonly renderer: CardRenderer | undefined,
    private readonly weather: WeatherService | undefined,
    private readonly cache: RenderCache,
    private readonly assets: CardAssets = noCardAssets,
  ) {
    this.schema = weatherOptionsSchema(assets);
  }

  kind(): BlockKind {
    return {
      type: "weather",
      defaultExt: "png",
      parse: (options) => {
        const res = this.prepare(options);
        return res.ok ? { ok: true, options: res.prepared.o } : res;
      },
      render: (block, ext, open) => this.render(block, ext, open),
    };
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
      const t = parseTemplate(text, FIELDS);
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
    for (const k of CONTENT_KEYS) {
      const mine = o.content?.[k];
      const borrowed = BORROWS[k] ? o.content?.[BORROWS[k]!] : undefined;
      const c = mine ?? borrowed;
      const d = WEATHER_DEFAULTS[k];
      const path = `content.${mine ? k : BORROWS[k]}`;
      content[k] = {
        headline: parse(c?.headline ?? d.headline, `${path}.headline`),
        text: c ? (c.text ? parse(c.text, `${path}.text`) : null) : parse(d.text, "text"),
        image: c?.image,
        background: c?.background ?? o.background ?? d.background,
        accent: c?.accentColor ?? o.accentColor ?? d.accent,
      };
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
      },
    };
  }

  async render(block: BlockRecord, ext: ImageExt, open: OpenContext): Promise<RenderedBlock> {
    const renderer = this.renderer;
    if (!renderer) throw new RenderError("renderer_unavailable");
    const p = this.options(block);
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
    const image = await this.cache.get(cacheKey, async () => ({
      bytes: await renderer.render(weatherCard(p.o.template, model, p.width, p.height, theme), {
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

  private options(block: BlockRecord): Prepared {
    const k = `${block.id}:${block.version}`;
    const hit = this.parsed.get(k);
    if (hit) return hit;
    const res = this.prepare(block.options);
    if (!res.ok) throw new RenderError("invalid_options");
    this.parsed.set(k, res.prepared);
    return res.prepared;
  }
}
