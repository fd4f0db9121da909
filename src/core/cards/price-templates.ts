import { PRICE_TEMPLATES } from "../blocks/choices.js";
import type { PriceCardModel } from "./price-model.js";
import { type CardElement, type CardStyle, cardRoot, el } from "./types.js";

export { PRICE_TEMPLATES };
export type PriceTemplate = (typeof PRICE_TEMPLATES)[number];

export interface PriceTheme {
  background: string;
  text: string;
  accent: string;
  font: string;
}

/**
 * Sizes are designed at a reference size (600x300 classic, 600x120 compact) and scale with
 * the card, so a 300x150 card looks the same, smaller.
 */
const unit = (w: number, h: number, refH = 300) => Math.min(w / 600, h / refH);
const px = (n: number) => Math.max(1, Math.round(n * 10) / 10);

function badge(text: string, bg: string, fg: string, size: number): CardElement {
  return el(
    "div",
    {
      display: "flex",
      backgroundColor: bg,
      color: fg,
      fontSize: px(size),
      padding: `${px(size * 0.25)}px ${px(size * 0.55)}px`,
      borderRadius: px(size * 0.4),
    },
    text,
  );
}

/** The drop badge ("-20%") pinned to the top right corner of its (relative) parent. */
function cornerBadge(m: PriceCardModel, t: PriceTheme, size: number): CardElement | null {
  if (!m.discount) return null;
  return el(
    "div",
    { display: "flex", position: "absolute", top: 0, right: 0 },
    badge(m.discount, t.accent, "#ffffff", size),
  );
}

function prices(m: PriceCardModel, t: PriceTheme, u: number, big: number): CardElement {
  return el(
    "div",
    { display: "flex", alignItems: "flex-end", flexWrap: "wrap" },
    el("div", { display: "flex", fontSize: px(big * u), color: m.soldOut ? "#9ca3af" : t.text }, m.now),
    m.was
      ? el(
          "div",
          {
            display: "flex",
            fontSize: px(big * 0.5 * u),
            color: "#6b7280",
            textDecoration: "line-through",
            marginLeft: px(14 * u),
            marginBottom: px(big * 0.1 * u),
          },
          m.was,
        )
      : null,
  );
}

function stock(m: PriceCardModel, u: number): CardElement | null {
  if (!m.stockLabel) return null;
  const style: CardStyle = { display: "flex", fontSize: px(20 * u), marginTop: px(12 * u) };
  return m.soldOut
    ? el("div", style, badge(m.stockLabel, "#374151", "#ffffff", 20 * u))
    : el("div", { ...style, color: "#b45309" }, m.stockLabel);
}

function image(m: PriceCardModel, size: number): CardElement | null {
  if (!m.image) return null;
  return {
    type: "img",
    props: {
      src: m.image,
      width: size,
      height: size,
      style: { width: size, height: size, objectFit: "contain", borderRadius: px(size * 0.04) },
    },
  };
}

/** Image on the left (when there is one), name, now/was, drop badge and stock state on the right. */
function classic(m: PriceCardModel, w: number, h: number, t: PriceTheme): CardElement {
  const u = unit(w, h);
  const pad = px(24 * u);
  const imgSize = Math.round(Math.min(h - 2 * pad, (w - 2 * pad) * 0.36));
  const img = image(m, imgSize);
  // Explicit widths: a flex-grown column measured its text at full width and overflowed.
  const colWidth = w - 2 * pad - (img ? imgSize + pad : 0);
  const name = el(
    "div",
    {
      display: "block",
      fontSize: px(30 * u),
      lineHeight: 1.2,
      color: t.text,
      lineClamp: 2,
      maxWidth: "100%",
    },
    m.name,
  );
  return el(
    "div",
    cardRoot(w, h, t, pad),
    img,
    el(
      "div",
      {
        display: "flex",
        flexDirection: "column",
        width: colWidth,
        height: "100%",
        justifyContent: "center",
        marginLeft: img ? pad : 0,
        position: "relative",
      },
      cornerBadge(m, t, 24 * u),
      el("div", { display: "flex", paddingRight: m.discount ? px(100 * u) : 0 }, name),
      el("div", { display: "flex", marginTop: px(16 * u) }, prices(m, t, u, 56)),
      stock(m, u),
    ),
  );
}

/** One line for narrow banners: name left, price (and badge) right. */
function compact(m: PriceCardModel, w: number, h: number, t: PriceTheme): CardElement {
  const u = unit(w, h, 120);
  const pad = px(20 * u);
  const right = Math.round((w - 2 * pad) * 0.45);
  return el(
    "div",
    { ...cardRoot(w, h, t, pad), justifyContent: "space-between" },
    el(
      "div",
      { display: "flex", flexDirection: "column", width: w - 2 * pad - right - pad },
      el("div", { display: "block", fontSize: px(28 * u), color: t.text, lineClamp: 2 }, m.name),
      stock(m, u),
    ),
    el(
      "div",
      { display: "flex", flexDirection: "column", alignItems: "flex-end", width: right },
      m.discount ? badge(m.discount, t.accent, "#ffffff", 20 * u) : null,
      el("div", { display: "flex", marginTop: px(6 * u) }, prices(m, t, u, 36)),
    ),
  );
}

/**
 * A portrait product tile, designed at 300x420: photo on top (the drop badge over its
 * corner), then name, now/was and stock. Two side by side make the product grid of a
 * mobile-first email.
 */
function tile(m: PriceCardModel, w: number, h: number, t: PriceTheme): CardElement {
  const u = Math.min(w / 300, h / 420);
  const pad = px(16 * u);
  const inner = w - 2 * pad;
  const imgSize = Math.round(Math.min(inner, h * 0.52));
  const img = image(m, imgSize);
  return el(
    "div",
    { ...cardRoot(w, h, t, pad), flexDirection: "column", alignItems: "stretch" },
    img
      ? el(
          "div",
          { display: "flex", justifyContent: "center", position: "relative", width: inner, height: imgSize },
          img,
          cornerBadge(m, t, 18 * u),
        )
      : null,
    el(
      "div",
      {
        display: "flex",
        flexDirection: "column",
        width: inner,
        flexGrow: 1,
        justifyContent: img ? "flex-start" : "center",
        marginTop: img ? px(12 * u) : 0,
      },
      !img && m.discount
        ? el(
            "div",
            { display: "flex", marginBottom: px(10 * u) },
            badge(m.discount, t.accent, "#ffffff", 18 * u),
          )
        : null,
      el(
        "div",
        {
          display: "block",
          fontSize: px(20 * u),
          lineHeight: 1.25,
          color: t.text,
          lineClamp: 2,
          maxWidth: "100%",
        },
        m.name,
      ),
      el("div", { display: "flex", marginTop: px(8 * u) }, prices(m, t, u, 34)),
      stock(m, u * 0.85),
    ),
  );
}

/** Each template's own size, used when a block names no width or height. */
export const PRICE_SIZES: Record<PriceTemplate, { width: number; height: number }> = {
  classic: { width: 600, height: 300 },
  // 600x300 like classic for blocks saved before sizes were per template; strips set 120.
  compact: { width: 600, height: 300 },
  tile: { width: 300, height: 420 },
};

export function priceCard(
  template: PriceTemplate,
  m: PriceCardModel,
  width: number,
  height: number,
  theme: PriceTheme,
): CardElement {
  if (template === "compact") return compact(m, width, height, theme);
  if (template === "tile") return tile(m, width, height, theme);
  return classic(m, width, height, theme);
}
