import { type CardChild, type CardElement, cardRoot, el } from "./types.js";

export const DATA_TEMPLATES = ["quote", "score"] as const;
export type DataTemplate = (typeof DATA_TEMPLATES)[number];

/** The size each template is designed at, used when a block sets none. */
export const DATA_SIZES: Record<DataTemplate, { width: number; height: number }> = {
  quote: { width: 600, height: 200 },
  score: { width: 600, height: 200 },
};

/** The fields each template draws (bound in the block's `fields`, or the built-ins). */
export const TEMPLATE_FIELDS: Record<DataTemplate, readonly string[]> = {
  quote: ["instrument", "last", "change", "percent", "time"],
  score: ["home", "away", "home_score", "away_score", "status", "time"],
};

export type Trend = "up" | "down" | "flat";

/** What a data card shows, all resolved: the render cache key is built from this. */
export interface DataCardModel {
  /** Field name → text (a field's fallback when its value is missing). */
  values: Record<string, string>;
  trend: Trend | null;
  /** Recent values, oldest first (empty: no sparkline). */
  spark: number[];
  /** The delayed-data notice, or the "as of 2 min ago" line of a stale value. */
  notice: string;
  /** Drawn instead of the values when the source never answered. */
  unavailable: string | null;
}

export interface DataTheme {
  background: string;
  text: string;
  muted: string;
  up: string;
  down: string;
  flat: string;
  font: string;
}

const px = (n: number) => Math.max(1, Math.round(n * 10) / 10);
const round1 = (n: number) => Math.round(n * 10) / 10;

export function trendColor(t: DataTheme, trend: Trend | null): string {
  return trend === "up" ? t.up : trend === "down" ? t.down : t.flat;
}

function svgImage(svg: string, w: number, h: number): CardElement {
  const src = `data:image/svg+xml;base64,${btoa(svg)}`;
  return { type: "img", props: { src, width: w, height: h, style: { width: w, height: h } } };
}

/** ▲ / ▼ as a drawn triangle: no font has to hold the glyph. */
export function arrow(trend: Trend | null, color: string, size: number): CardElement | null {
  if (trend !== "up" && trend !== "down") return null;
  const s = Math.max(4, Math.round(size));
  const points = trend === "up" ? `0,${s} ${s / 2},0 ${s},${s}` : `0,0 ${s},0 ${s / 2},${s}`;
  return svgImage(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${s}" height="${s}"><polygon points="${points}" fill="${color}"/></svg>`,
    s,
    s,
  );
}

/** A small line of the recent values, scaled to its box. */
export function sparkline(
  values: readonly number[],
  w: number,
  h: number,
  color: string,
): CardElement | null {
  if (values.length < 2) return null;
  const W = Math.round(w);
  const H = Math.round(h);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const pad = 2;
  const pts = values
    .map((v, i) => {
      const x = pad + (i * (W - 2 * pad)) / (values.length - 1);
      const y = pad + (H - 2 * pad) * (1 - (v - lo) / span);
      return `${round1(x)},${round1(y)}`;
    })
    .join(" ");
  return svgImage(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/></svg>`,
    W,
    H,
  );
}

const text = (size: number, color: string, s: string, extra: Record<string, string | number> = {}) =>
  el("div", { display: "flex", fontSize: px(size), color, lineHeight: 1.2, ...extra }, s);

function quote(m: DataCardModel, w: number, h: number, t: DataTheme): CardElement {
  const u = Math.min(w / 600, h / 200);
  const pad = px(24 * u);
  const color = trendColor(t, m.trend);
  const v = m.values;
  const change = [v.change, v.percent ? `(${v.percent})` : ""].filter(Boolean).join(" ");
  const left = el(
    "div",
    { display: "flex", flexDirection: "column", justifyContent: "center", flexGrow: 1, flexShrink: 1 },
    text(22 * u, t.muted, v.instrument ?? ""),
    m.unavailable
      ? text(30 * u, t.text, m.unavailable, { marginTop: px(8 * u) })
      : el(
          "div",
          { display: "flex", alignItems: "center", marginTop: px(4 * u) },
          text(52 * u, t.text, v.last ?? "—", { whiteSpace: "nowrap", flexShrink: 0 }),
          el(
            "div",
            { display: "flex", alignItems: "center", marginLeft: px(18 * u) },
            arrow(m.trend, color, 18 * u),
            change
              ? text(26 * u, color, change, { marginLeft: px(6 * u), whiteSpace: "nowrap", flexShrink: 0 })
              : null,
          ),
        ),
    text(16 * u, t.muted, [v.time, m.notice].filter(Boolean).join(" · "), { marginTop: px(8 * u) }),
  );
  return el(
    "div",
    { ...cardRoot(w, h, t, pad), color: t.text },
    left,
    m.unavailable ? null : sparkline(m.spark, 160 * u, 70 * u, color),
  );
}

function score(m: DataCardModel, w: number, h: number, t: DataTheme): CardElement {
  const u = Math.min(w / 600, h / 200);
  const pad = px(20 * u);
  const v = m.values;
  const team = (name: string | undefined) =>
    text(26 * u, t.text, name ?? "", { width: "35%", justifyContent: "center", textAlign: "center" });
  const middle: CardChild = m.unavailable
    ? text(26 * u, t.muted, m.unavailable)
    : text(56 * u, t.text, `${v.home_score ?? "–"} : ${v.away_score ?? "–"}`);
  return el(
    "div",
    { ...cardRoot(w, h, t, pad), color: t.text, flexDirection: "column", justifyContent: "center" },
    el(
      "div",
      { display: "flex", width: "100%", alignItems: "center", justifyContent: "space-between" },
      team(v.home),
      middle,
      team(v.away),
    ),
    text(18 * u, trendColor(t, m.trend), [v.status, v.time].filter(Boolean).join(" · "), {
      marginTop: px(10 * u),
    }),
    m.notice ? text(14 * u, t.muted, m.notice, { marginTop: px(4 * u) }) : null,
  );
}

export function dataCard(template: DataTemplate, m: DataCardModel, w: number, h: number, t: DataTheme) {
  return template === "quote" ? quote(m, w, h, t) : score(m, w, h, t);
}
