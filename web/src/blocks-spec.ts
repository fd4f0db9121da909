// The builder's form per block type. Choices come from the core's own lists (one owner);
// everything else the API validates, and its errors are shown beside the field.
import {
  BANNER_TEMPLATES,
  COUNTDOWN_LAYOUTS,
  COUNTDOWN_LOCALES,
  PRICE_TEMPLATES,
  WEATHER_TEMPLATES,
} from "../../src/core/blocks/choices.js";

export interface FieldSpec {
  /** Dotted path into the options. */
  key: string;
  label: string;
  kind: "text" | "number" | "select" | "datetime" | "colour";
  choices?: readonly string[];
  hint?: string;
  initial?: () => string;
}

const zone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const nextWeek = () => {
  const d = new Date(Date.now() + 7 * 86_400_000);
  d.setMinutes(0, 0, 0);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:00`;
};
const campaign: FieldSpec = {
  key: "campaign",
  label: "Campaign",
  kind: "text",
  hint: "Opens count for this campaign (default: the block id)",
};
const size = (w: number, h: number): FieldSpec[] => [
  { key: "width", label: "Width (px)", kind: "number", hint: `Default ${w}` },
  { key: "height", label: "Height (px)", kind: "number", hint: `Default ${h}` },
];

export const BLOCK_SPECS: Record<
  string,
  { title: string; size: [number, number]; profile: boolean; fields: FieldSpec[] }
> = {
  countdown: {
    title: "Countdown timer",
    size: [600, 120],
    profile: false,
    fields: [
      { key: "deadline.local", label: "Ends at (local time)", kind: "datetime", initial: nextWeek },
      {
        key: "deadline.timeZone",
        label: "Time zone",
        kind: "text",
        hint: "IANA zone, e.g. Europe/Berlin",
        initial: zone,
      },
      { key: "locale", label: "Language", kind: "select", choices: COUNTDOWN_LOCALES },
      { key: "layout", label: "Layout", kind: "select", choices: COUNTDOWN_LAYOUTS },
      ...size(600, 120),
      { key: "background", label: "Background", kind: "colour", hint: "#rgb, #rrggbb or transparent" },
      { key: "digitColor", label: "Digit colour", kind: "colour" },
      { key: "labelColor", label: "Label colour", kind: "colour" },
      { key: "boxColor", label: "Box colour", kind: "colour" },
      { key: "expiredText", label: "Text after the end", kind: "text" },
      campaign,
    ],
  },
  price: {
    title: "Price card",
    size: [600, 300],
    profile: false,
    fields: [
      { key: "productId", label: "Product id", kind: "text", hint: "A product in the catalog" },
      { key: "template", label: "Template", kind: "select", choices: PRICE_TEMPLATES },
      { key: "locale", label: "Locale", kind: "text", hint: "e.g. de-DE" },
      ...size(600, 300),
      campaign,
    ],
  },
  weather: {
    title: "Weather card",
    size: [600, 300],
    profile: true,
    fields: [
      { key: "template", label: "Template", kind: "select", choices: WEATHER_TEMPLATES },
      { key: "locale", label: "Locale", kind: "text", hint: "e.g. en-GB" },
      { key: "defaultLocation.lat", label: "Default latitude", kind: "number" },
      { key: "defaultLocation.lon", label: "Default longitude", kind: "number" },
      { key: "defaultLocation.label", label: "Default place name", kind: "text" },
      campaign,
    ],
  },
  banner: {
    title: "Personalised banner",
    size: [600, 250],
    profile: true,
    fields: [
      { key: "template", label: "Template", kind: "select", choices: BANNER_TEMPLATES },
      {
        key: "headline",
        label: "Headline",
        kind: "text",
        hint: "Merge fields: {{first_name|there}}, {{city|you}}…",
        initial: () => "Hi {{first_name|there}}!",
      },
      { key: "subline", label: "Subline", kind: "text" },
      { key: "cta", label: "Button text", kind: "text" },
      {
        key: "backgroundImage",
        label: "Background image",
        kind: "text",
        hint: "A file in assets/, e.g. banner-waves.jpg",
      },
      campaign,
    ],
  },
};

export function getPath(o: Record<string, unknown>, key: string): unknown {
  let v: unknown = o;
  for (const k of key.split("."))
    v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

export function setPath(o: Record<string, unknown>, key: string, value: unknown): void {
  const ks = key.split(".");
  let cur = o;
  for (const k of ks.slice(0, -1)) {
    if (!cur[k] || typeof cur[k] !== "object") cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[ks[ks.length - 1]!] = value;
}
