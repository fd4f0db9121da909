import { BANNER_TEMPLATES } from "../blocks/choices.js";
import { pictureBox } from "./assets.js";
import { FIT_INSIDE, type LayoutNode, layoutTree } from "./banner-layout.js";
import type { ParsedTemplate } from "./merge-fields.js";
import { type CardElement, el } from "./types.js";

export { BANNER_TEMPLATES };
export type BannerTemplate = (typeof BANNER_TEMPLATES)[number];

/** The size each template is designed at, used when a block sets none. */
export const BANNER_SIZES: Record<BannerTemplate, { width: number; height: number }> = {
  hero: { width: 600, height: 250 },
  split: { width: 600, height: 250 },
  strip: { width: 600, height: 100 },
};

/** What a banner shows, texts already filled for this recipient. */
export interface BannerModel {
  headline: string;
  subline: string | null;
  cta: string | null;
  /** data: URLs. */
  image: string | null;
  backgroundImage: string | null;
  /** 0..1: how much the background image is darkened under the text. */
  overlay: number;
}

export interface BannerTheme {
  background: string;
  text: string;
  accent: string;
  ctaText: string;
  font: string;
}

const px = (n: number) => Math.max(1, Math.round(n * 10) / 10);

/** The banner's box: size, colour, font, and the background image (cover) with its overlay. */
function frame(w: number, h: number, m: BannerModel, t: BannerTheme, content: CardElement): CardElement {
  return el(
    "div",
    {
      display: "flex",
      position: "relative",
      width: w,
      height: h,
      overflow: "hidden",
      backgroundColor: t.background,
      fontFamily: t.font,
      color: t.text,
    },
    m.backgroundImage ? pictureBox(m.backgroundImage, w, h, { position: "absolute", top: 0, left: 0 }) : null,
    m.backgroundImage && m.overlay > 0
      ? el("div", {
          display: "flex",
          position: "absolute",
          top: 0,
          left: 0,
          width: w,
          height: h,
          backgroundColor: `rgba(0,0,0,${m.overlay})`,
        })
      : null,
    // Positioned, so it paints above the (absolute) image: satori follows CSS painting
    // order, where positioned boxes come after in-flow ones whatever their order.
    el("div", { display: "flex", position: "relative", width: w, height: h }, content),
  );
}

const text = (size: number, extra: Record<string, string | number> = {}) => ({
  display: "block",
  fontSize: px(size),
  lineHeight: 1.2,
  maxWidth: "100%",
  ...extra,
});

function button(label: string, t: BannerTheme, size: number): CardElement {
  return el(
    "div",
    {
      display: "flex",
      backgroundColor: t.accent,
      color: t.ctaText,
      fontSize: px(size),
      padding: `${px(size * 0.55)}px ${px(size * 1.2)}px`,
      borderRadius: px(size * 0.4),
    },
    label,
  );
}

/** Centred headline, subline and button over a colour or a full-bleed image. */
function hero(m: BannerModel, w: number, h: number, t: BannerTheme): CardElement {
  const u = Math.min(w / 600, h / 250);
  const pad = px(28 * u);
  return frame(
    w,
    h,
    m,
    t,
    el(
      "div",
      {
        display: "flex",
        flexDirection: "column",
        alignItems: "center",
        justifyContent: "center",
        width: w,
        height: h,
        padding: pad,
        boxSizing: "border-box",
        textAlign: "center",
      },
      el("div", text(40 * u, { lineClamp: 2 }), m.headline),
      m.subline
        ? el("div", text(20 * u, { opacity: 0.85, marginTop: px(10 * u), lineClamp: 2 }), m.subline)
        : null,
      m.cta ? el("div", { display: "flex", marginTop: px(18 * u) }, button(m.cta, t, 18 * u)) : null,
    ),
  );
}

/** Text on the left, the image filling the right half (or the accent colour without one). */
function split(m: BannerModel, w: number, h: number, t: BannerTheme): CardElement {
  const u = Math.min(w / 600, h / 250);
  const pad = px(28 * u);
  const side = Math.round(w * 0.42);
  return frame(
    w,
    h,
    m,
    t,
    el(
      "div",
      { display: "flex", width: w, height: h },
      el(
        "div",
        {
          display: "flex",
          flexDirection: "column",
          justifyContent: "center",
          width: w - side,
          height: h,
          padding: pad,
          boxSizing: "border-box",
        },
        el("div", text(34 * u, { lineClamp: 3 }), m.headline),
        m.subline
          ? el("div", text(18 * u, { opacity: 0.85, marginTop: px(10 * u), lineClamp: 3 }), m.subline)
          : null,
        m.cta ? el("div", { display: "flex", marginTop: px(16 * u) }, button(m.cta, t, 16 * u)) : null,
      ),
      m.image
        ? pictureBox(m.image, side, h)
        : el("div", { display: "flex", width: side, height: h, backgroundColor: t.accent }),
    ),
  );
}

/** One line: headline (and subline) left, button right. */
function strip(m: BannerModel, w: number, h: number, t: BannerTheme): CardElement {
  const u = Math.min(w / 600, h / 100);
  const pad = px(20 * u);
  const right = m.cta ? Math.round((w - 2 * pad) * 0.34) : 0;
  return frame(
    w,
    h,
    m,
    t,
    el(
      "div",
      {
        display: "flex",
        alignItems: "center",
        justifyContent: "space-between",
        width: w,
        height: h,
        padding: pad,
        boxSizing: "border-box",
      },
      el(
        "div",
        { display: "flex", flexDirection: "column", width: w - 2 * pad - right - (right ? pad : 0) },
        el("div", text(26 * u, { lineClamp: m.subline ? 1 : 2 }), m.headline),
        m.subline
          ? el("div", text(15 * u, { opacity: 0.85, marginTop: px(4 * u), lineClamp: 1 }), m.subline)
          : null,
      ),
      m.cta
        ? el("div", { display: "flex", justifyContent: "flex-end", width: right }, button(m.cta, t, 16 * u))
        : null,
    ),
  );
}

export function bannerCard(
  template: BannerTemplate,
  m: BannerModel,
  width: number,
  height: number,
  theme: BannerTheme,
): CardElement {
  if (template === "split") return split(m, width, height, theme);
  if (template === "strip") return strip(m, width, height, theme);
  return hero(m, width, height, theme);
}

/**
 * An operator's layout as an element tree, inside the same frame (size, colour, font,
 * background image). Every box is a flex box unless it says otherwise (satori requires it
 * of any element with more than one child), and every box fits inside its parent.
 */
export function customBanner(
  layout: LayoutNode,
  fill: (t: ParsedTemplate) => string,
  m: BannerModel,
  width: number,
  height: number,
  theme: BannerTheme,
  src: (ref: string) => string | undefined,
): CardElement {
  // The layout's root fills the banner (and, like every box, cannot grow past it).
  const content = layoutTree(layout, fill, src) ?? el("div", { display: "flex" });
  return frame(
    width,
    height,
    m,
    theme,
    el("div", { display: "flex", width, height, ...FIT_INSIDE }, content),
  );
}
