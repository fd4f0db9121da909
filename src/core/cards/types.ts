import type { TextCoverage } from "../blocks/texts.js";

// Cards are plain element trees in satori's shape ({ type, props: { style, children } }),
// built by ordinary functions: no JSX build step, and the core never imports satori — the
// Node adapter (src/node/cards/satori-renderer.ts) turns trees into pixels behind this port.

export type CardStyle = Record<string, string | number>;

export interface CardElement {
  type: string;
  props: {
    style?: CardStyle;
    children?: CardChild | CardChild[];
    src?: string;
    width?: number;
    height?: number;
  };
}
export type CardChild = CardElement | string | null;

export const CARD_FORMATS = ["png", "jpg", "webp", "gif"] as const;
export type CardFormat = (typeof CARD_FORMATS)[number];

export interface CardRenderOptions {
  /** CSS pixels; the output is width*scale x height*scale. */
  width: number;
  height: number;
  /** 2 for retina: the same layout drawn at twice the pixels. */
  scale: 1 | 2;
  format: CardFormat;
}

/** Tree → image bytes. One instance per process: fonts are loaded when it is built, never per render. */
export interface CardRenderer {
  render(tree: CardElement, opts: CardRenderOptions): Promise<Uint8Array>;
  /** Font families it can draw; templates name the first and fall back per glyph. */
  readonly families: readonly string[];
  /** What its fonts and emoji can draw (any family: satori falls back per glyph); checked at save. */
  readonly coverage?: TextCoverage;
}

/** The outer box every built-in card template starts from: its size, ground and font. */
export function cardRoot(w: number, h: number, t: { background: string; font: string }, pad: number) {
  return {
    display: "flex",
    width: w,
    height: h,
    // satori's root otherwise adds the padding to the size (a 640x160 SVG box for 600x120).
    boxSizing: "border-box",
    backgroundColor: t.background,
    fontFamily: t.font,
    padding: pad,
    alignItems: "center",
  } as const;
}

/** Builds an element; children that are null are dropped (optional parts of a template). */
export function el(type: string, style: CardStyle, ...children: CardChild[]): CardElement {
  const kept = children.filter((c) => c !== null);
  return { type, props: { style, children: kept.length === 1 ? kept[0] : kept } };
}
