import { WEATHER_TEMPLATES } from "../blocks/choices.js";
import { pictureBox } from "./assets.js";
import { type CardElement, cardRoot, el } from "./types.js";
import { type IconName, weatherIcon } from "./weather-icons.js";

export { WEATHER_TEMPLATES };
export type WeatherTemplate = (typeof WEATHER_TEMPLATES)[number];

/** The size each template is designed at, used when a block sets none. */
export const WEATHER_SIZES: Record<WeatherTemplate, { width: number; height: number }> = {
  card: { width: 600, height: 300 },
  banner: { width: 600, height: 120 },
  minimal: { width: 300, height: 100 },
};

/** What a weather card shows, all resolved: the cache key is built from this. */
export interface WeatherCardModel {
  icon: IconName;
  headline: string;
  text: string | null;
  /** A data: URL (asset or inline), drawn instead of the big icon in `card`. */
  image: string | null;
  /** Formatted in the block's locale and units ("12°C"); null without weather. */
  temperature: string | null;
  label: string | null;
}

export interface WeatherTheme {
  background: string;
  text: string;
  accent: string;
  font: string;
}

const px = (n: number) => Math.max(1, Math.round(n * 10) / 10);

function icon(name: IconName, size: number): CardElement {
  const s = Math.round(size);
  return {
    type: "img",
    props: { src: weatherIcon(name), width: s, height: s, style: { width: s, height: s } },
  };
}

/** "Berlin · 12°C", "12°C" or "Berlin"; null when there is neither. */
function placeLine(m: WeatherCardModel): string | null {
  const parts = [m.label, m.temperature].filter((p): p is string => !!p);
  return parts.length ? parts.join(" · ") : null;
}

function root(w: number, h: number, t: WeatherTheme, pad: number) {
  return { ...cardRoot(w, h, t, pad), color: t.text };
}

const block = (size: number, extra: Record<string, string | number> = {}) => ({
  display: "block",
  fontSize: px(size),
  lineHeight: 1.2,
  maxWidth: "100%",
  ...extra,
});

/** Big icon (or the content's image) beside the place line, headline and text. */
function card(m: WeatherCardModel, w: number, h: number, t: WeatherTheme): CardElement {
  const u = Math.min(w / 600, h / 300);
  const pad = px(28 * u);
  const visual = m.image ? Math.round(Math.min(h - 2 * pad, (w - 2 * pad) * 0.42)) : Math.round(170 * u);
  const line = placeLine(m);
  const picture = m.image
    ? pictureBox(m.image, visual, h - 2 * pad, { borderRadius: px(14 * u) })
    : icon(m.icon, visual);
  return el(
    "div",
    root(w, h, t, pad),
    m.image ? null : picture,
    el(
      "div",
      {
        display: "flex",
        flexDirection: "column",
        justifyContent: "center",
        // Explicit width: a flex-grown column measured its text at full width and overflowed.
        width: w - 2 * pad - visual - pad,
        height: "100%",
        marginLeft: m.image ? 0 : pad,
        marginRight: m.image ? pad : 0,
      },
      line
        ? el(
            "div",
            { display: "flex", alignItems: "center", marginBottom: px(10 * u) },
            m.image ? el("div", { display: "flex", marginRight: px(8 * u) }, icon(m.icon, 34 * u)) : null,
            el("div", block(22 * u, { color: t.accent, lineClamp: 1 }), line),
          )
        : null,
      el("div", block(38 * u, { lineClamp: 2 }), m.headline),
      m.text
        ? el("div", block(20 * u, { opacity: 0.75, marginTop: px(10 * u), lineClamp: 3 }), m.text)
        : null,
    ),
    m.image ? picture : null,
  );
}

/** One strip: icon, headline and text, then the temperature and place on the right. */
function banner(m: WeatherCardModel, w: number, h: number, t: WeatherTheme): CardElement {
  const u = Math.min(w / 600, h / 120);
  const pad = px(16 * u);
  const iconSize = h - 2 * pad;
  const right = m.temperature || m.label ? Math.round((w - 2 * pad) * 0.22) : 0;
  return el(
    "div",
    root(w, h, t, pad),
    icon(m.icon, iconSize),
    el(
      "div",
      {
        display: "flex",
        flexDirection: "column",
        justifyContent: "center",
        width: w - 2 * pad - iconSize - pad - right,
        marginLeft: pad,
      },
      el("div", block(26 * u, { lineClamp: m.text ? 1 : 2 }), m.headline),
      m.text ? el("div", block(16 * u, { opacity: 0.75, marginTop: px(4 * u), lineClamp: 2 }), m.text) : null,
    ),
    right
      ? el(
          "div",
          { display: "flex", flexDirection: "column", alignItems: "flex-end", width: right },
          m.temperature ? el("div", block(40 * u, { color: t.accent }), m.temperature) : null,
          m.label ? el("div", block(15 * u, { opacity: 0.75, lineClamp: 1 }), m.label) : null,
        )
      : null,
  );
}

/** A small widget: icon, the temperature large (or the headline), the place below. */
function minimal(m: WeatherCardModel, w: number, h: number, t: WeatherTheme): CardElement {
  const u = Math.min(w / 300, h / 100);
  const pad = px(12 * u);
  const iconSize = h - 2 * pad;
  const big = m.temperature ?? m.headline;
  const small = m.temperature ? (m.label ?? m.headline) : m.text;
  return el(
    "div",
    { ...root(w, h, t, pad), justifyContent: "center" },
    icon(m.icon, iconSize),
    el(
      "div",
      {
        display: "flex",
        flexDirection: "column",
        justifyContent: "center",
        width: w - 2 * pad - iconSize - pad,
        marginLeft: pad,
      },
      el("div", block((m.temperature ? 38 : 22) * u, { color: t.accent, lineClamp: 2 }), big),
      small ? el("div", block(14 * u, { opacity: 0.75, marginTop: px(2 * u), lineClamp: 1 }), small) : null,
    ),
  );
}

export function weatherCard(
  template: WeatherTemplate,
  m: WeatherCardModel,
  width: number,
  height: number,
  theme: WeatherTheme,
): CardElement {
  if (template === "banner") return banner(m, width, height, theme);
  if (template === "minimal") return minimal(m, width, height, theme);
  return card(m, width, height, theme);
}
