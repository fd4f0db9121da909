/**
 * The options of a `weather` block and the built-in content it falls back on: what is
 * checked when a block is saved. WeatherBlocks (weather-block.ts) renders them at open.
 */
import { z } from "zod";
import { WEATHER_CONDITIONS } from "../ports/weather.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { type CardAssets, imageRefSchema } from "./assets.js";
import { layoutTexts } from "./banner-layout.js";
import { PROFILE_FIELDS } from "./merge-fields.js";
import { isKnownLocale } from "./price-model.js";
import { WEATHER_TEMPLATES } from "./weather-templates.js";

const hex = z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use #rgb or #rrggbb");
export const CONTENT_KEYS = [...WEATHER_CONDITIONS, "neutral"] as const;
/** Merge fields weather text may use: the reading itself, and the recipient's profile. */
export const WEATHER_FIELDS = ["temperature", "location", ...PROFILE_FIELDS] as const;
export const MAX_HEADLINE = 120;
export const MAX_TEXT = 200;

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
      /**
       * An operator's own card, drawn instead of the template: an element tree checked like
       * a banner layout; texts may use WEATHER_LAYOUT_FIELDS.
       */
      layout: z.unknown().optional(),
    })
    .strict();
}

/** Every text the options draw, with its path (for the checks only a save makes, blocks/texts.ts). */
export function* weatherOptionTexts(o: WeatherOptions): Generator<[string, string | undefined]> {
  for (const k of CONTENT_KEYS) {
    const c = o.content?.[k];
    if (!c) continue;
    yield [`content.${k}.headline`, c.headline];
    yield [`content.${k}.text`, c.text];
  }
  yield ["location.label", o.location?.label];
  yield ["defaultLocation.label", o.defaultLocation?.label];
  yield* layoutTexts(o.layout);
}

/** What a custom weather layout's texts may use: the condition's content, the weather, the person. */
export const WEATHER_LAYOUT_FIELDS = [...WEATHER_FIELDS, "headline", "text", "condition"] as const;
export type ContentKey = (typeof CONTENT_KEYS)[number];
export type WeatherOptions = z.infer<ReturnType<typeof weatherOptionsSchema>>;

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
export const BORROWS: Partial<Record<ContentKey, ContentKey>> = {
  drizzle: "rain",
  thunderstorm: "rain",
  fog: "cloudy",
};

// Regions that read temperatures in Fahrenheit (the US and a few others).
const FAHRENHEIT_REGIONS = new Set(["US", "LR", "MM", "BS", "BZ", "KY", "PW", "FM", "MH"]);

export function fahrenheitByDefault(locale: string): boolean {
  try {
    return FAHRENHEIT_REGIONS.has(new Intl.Locale(locale).maximize().region ?? "");
  } catch {
    return false;
  }
}
