/**
 * Operator-defined banner layouts: a small element tree in the el() shape, checked by hand
 * (clear paths in every message, and the walk stops at the first bound it passes, so a
 * deeply nested body cannot exhaust the stack).
 *
 * Threat model: block options come from an operator key, but a layout is drawn at every
 * open, so it must not be able to (a) make a render unbounded — depth ≤ 6, ≤ 60 nodes,
 * bounded strings and numbers; (b) reach outside the process — images are assets/ files or
 * data: URLs only, and no style property that takes a url() is allowed; (c) inject markup —
 * text is plain and flows through merge fields, never parsed as HTML or SVG; (d) crash the
 * process — resvg 2.6 (resvg-js 2.6.2) panics, and so aborts Node, when a clipped or
 * masked element lies wholly outside the canvas (thx/resvg-js#413, #415). Two layers:
 * here, nothing that places a box outside its parent on purpose (no `position`/offsets,
 * no negative lengths, no min/max sizes or flexShrink — customBanner makes every box fit
 * inside its parent — no padding or border on images, solid borders only, only the object
 * fits that cover their box); and src/node/cards/layout-renderer.ts drops boxes that still
 * end up outside before resvg sees them. A fuzz of thousands of random layouts within these
 * rules, at every banner size, renders without a panic; without either layer it aborts.
 */
import { table } from "../util/dict.js";
import type { CardAssets } from "./assets.js";
import { imageRefSchema, pictureBox } from "./assets.js";
import { type ParsedTemplate, parseTemplate } from "./merge-fields.js";
import { type CardChild, type CardStyle, el } from "./types.js";

export const MAX_LAYOUT_DEPTH = 6;
export const MAX_LAYOUT_NODES = 60;
const MAX_TEXT = 200;

export interface LayoutNode {
  type: "div" | "span" | "img";
  style: CardStyle;
  children: (LayoutNode | ParsedTemplate)[];
  src?: string;
  width?: number;
  height?: number;
}

type Check = (v: unknown) => string | null;

const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === "string" && values.includes(v) ? null : `use one of ${values.join(", ")}`;
const PX = 2400;
const NUM = /^\d{1,4}(\.\d{1,3})?(px|%)$/;
/**
 * A length as satori accepts it for that property: pixels as a number (0..2400), or a
 * string with its unit ("12px", "50%"; satori refuses "12" in a string), plus the keywords
 * the property takes. Negative values are refused: they only serve to push boxes out.
 */
const len =
  (o: { number?: boolean; percent?: boolean; keywords?: string[] }): Check =>
  (v) => {
    const { number = true, percent = true, keywords = [] } = o;
    if (typeof v === "number") return number && Number.isFinite(v) && v >= 0 && v <= PX ? null : describe(o);
    if (typeof v !== "string") return describe(o);
    if (v === "0" || keywords.includes(v)) return null;
    return NUM.test(v) &&
      (percent || v.endsWith("px")) &&
      Number.parseFloat(v) <= (v.endsWith("%") ? 100 : PX)
      ? null
      : describe(o);
  };
function describe(o: { number?: boolean; percent?: boolean; keywords?: string[] }): string {
  const ways = [
    ...(o.number !== false ? [`a number of pixels 0..${PX}`] : []),
    '"Npx"',
    ...(o.percent !== false ? ['"N%" (up to 100%)'] : []),
    ...(o.keywords ?? []).map((k) => `"${k}"`),
  ];
  return `use ${ways.join(", ")}`;
}
/** margin/padding shorthands: 1-4 values of `one`. */
const sides =
  (one: Check): Check =>
  (v) => {
    if (typeof v === "number") return one(v);
    const parts = typeof v === "string" ? v.trim().split(/\s+/) : [];
    return parts.length >= 1 && parts.length <= 4 && parts.every((p) => one(p) === null)
      ? null
      : `use 1 to 4 values separated by spaces, each: ${one(Number.NaN)?.replace(/^use /, "")}`;
  };
const size = len({ keywords: ["auto"] });
const margin = len({ keywords: ["auto"] });
const padding = len({});
const range =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === "number" && Number.isFinite(v) && v >= min && v <= max
      ? null
      : `use a number ${min}..${max}`;
const COLOR_RE =
  /^(#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|rgba?\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*(,\s*(0|1|0?\.\d{1,3})\s*)?\)|transparent)$/;
const color: Check = (v) =>
  typeof v === "string" && COLOR_RE.test(v)
    ? null
    : "use #rgb, #rrggbb, #rrggbbaa, rgb(), rgba() or transparent";
const ALIGN = ["flex-start", "flex-end", "center", "stretch", "baseline"];

/**
 * The style properties a layout may set, each with its check (values satori accepts, so a
 * saved layout does not fail at the open). Nothing here takes a url(), and nothing can
 * place a box outside its parent on purpose (see the threat model above): no position or
 * offsets, no negative lengths, no min/max sizes or flexShrink (customBanner sets those),
 * solid borders only and no text decoration (dashed borders, and the underline of a text
 * line wrapped past the card's edge, also tripped the resvg panic).
 */
const STYLE = table<Check>({
  display: oneOf("flex", "none"),
  flexDirection: oneOf("row", "column", "row-reverse", "column-reverse"),
  flexWrap: oneOf("nowrap", "wrap", "wrap-reverse"),
  alignItems: oneOf(...ALIGN),
  alignSelf: oneOf("auto", ...ALIGN),
  alignContent: oneOf("flex-start", "flex-end", "center", "stretch", "space-between", "space-around"),
  justifyContent: oneOf("flex-start", "flex-end", "center", "space-between", "space-around", "space-evenly"),
  flexGrow: range(0, 100),
  flexBasis: len({ number: false, keywords: ["auto"] }),
  gap: range(0, PX),
  rowGap: range(0, PX),
  columnGap: range(0, PX),
  width: size,
  height: size,
  margin: sides(margin),
  marginTop: margin,
  marginRight: margin,
  marginBottom: margin,
  marginLeft: margin,
  padding: sides(padding),
  paddingTop: padding,
  paddingRight: padding,
  paddingBottom: padding,
  paddingLeft: padding,
  overflow: oneOf("visible", "hidden"),
  backgroundColor: color,
  color,
  opacity: range(0, 1),
  borderRadius: len({}),
  borderWidth: range(0, 100),
  borderColor: color,
  fontSize: range(1, 400),
  fontWeight: (v) =>
    v === "normal" || v === "bold" || v === 400 || v === 700 ? null : "use normal, bold, 400 or 700",
  lineHeight: range(0.5, 4),
  letterSpacing: range(-20, 100),
  textAlign: oneOf("left", "right", "center", "justify"),
  textTransform: oneOf("none", "uppercase", "lowercase", "capitalize"),
  whiteSpace: oneOf("normal", "nowrap", "pre-wrap"),
  lineClamp: range(1, 10),
  // Only fits where the drawn image covers its whole box (with contain a box reaching into
  // the canvas can hold an image drawn wholly outside it: the resvg panic again).
  objectFit: oneOf("cover", "fill"),
});

/**
 * An image's own padding or border moves its picture within the box — out of the canvas
 * while the box stays in it, which the renderer's guard cannot see. Wrap it in a div instead.
 */
const IMG_STYLE = new Set([
  "width",
  "height",
  "margin",
  "marginTop",
  "marginRight",
  "marginBottom",
  "marginLeft",
  "alignSelf",
  "flexGrow",
  "flexBasis",
  "borderRadius",
  "objectFit",
  "opacity",
]);

const NODE_KEYS: Record<LayoutNode["type"], readonly string[]> = {
  div: ["type", "style", "children"],
  span: ["type", "style", "children"],
  img: ["type", "style", "src", "width", "height"],
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export interface LayoutContext {
  assets: CardAssets;
  /** Merge fields text may use. */
  fields: readonly string[];
  /** Font families the renderer has (fontFamily must name one). */
  families: readonly string[];
  /** Names an img may use besides assets and data: URLs, filled at render (price cards: "product"). */
  images?: readonly string[];
}

class LayoutError extends Error {}

/**
 * Checks a layout; on success returns the tree with text parsed into merge templates and
 * the fields it uses. Issues read "layout.children.1.style.color: use #rgb…".
 */
export function parseLayout(
  value: unknown,
  ctx: LayoutContext,
): { ok: true; layout: LayoutNode; fields: Set<string> } | { ok: false; issue: string } {
  let nodes = 0;
  const fields = new Set<string>();
  const imageRef = imageRefSchema(ctx.assets);
  function fail(path: string, msg: string): never {
    throw new LayoutError(`${path}: ${msg}`);
  }

  const text = (v: string, path: string): ParsedTemplate => {
    if (++nodes > MAX_LAYOUT_NODES) fail("layout", `more than ${MAX_LAYOUT_NODES} nodes`);
    if (v.length > MAX_TEXT) fail(path, `text is limited to ${MAX_TEXT} characters`);
    const t = parseTemplate(v, ctx.fields);
    if (!t.ok) fail(path, t.issue);
    for (const s of t.template) if ("field" in s) fields.add(s.field);
    return t.template;
  };

  const style = (v: unknown, path: string, img: boolean): CardStyle => {
    if (v === undefined) return {};
    if (!isObject(v)) fail(path, "must be an object of style properties");
    const out: CardStyle = {};
    for (const [k, val] of Object.entries(v)) {
      if (k === "fontFamily") {
        if (typeof val !== "string" || !ctx.families.includes(val))
          fail(`${path}.fontFamily`, `use one of ${ctx.families.join(", ")}`);
        out[k] = val;
        continue;
      }
      const check = STYLE[k];
      if (!check) fail(`${path}.${k}`, "not an allowed style property");
      if (img && !IMG_STYLE.has(k))
        fail(
          `${path}.${k}`,
          `not allowed on img (allowed: ${[...IMG_STYLE].join(", ")}); wrap the img in a div`,
        );
      const issue = check(val);
      if (issue) fail(`${path}.${k}`, issue);
      out[k] = val as string | number;
    }
    return out;
  };

  const node = (v: unknown, path: string, depth: number): LayoutNode => {
    if (depth > MAX_LAYOUT_DEPTH) fail(path, `nested deeper than ${MAX_LAYOUT_DEPTH} levels`);
    if (++nodes > MAX_LAYOUT_NODES) fail("layout", `more than ${MAX_LAYOUT_NODES} nodes`);
    if (!isObject(v)) fail(path, 'must be an element { "type": "div"|"span"|"img", … } or a text');
    const type = v.type;
    if (type !== "div" && type !== "span" && type !== "img") fail(`${path}.type`, "use div, span or img");
    for (const k of Object.keys(v))
      if (!NODE_KEYS[type].includes(k))
        fail(`${path}.${k}`, `not allowed on ${type} (allowed: ${NODE_KEYS[type].join(", ")})`);
    const out: LayoutNode = { type, style: style(v.style, `${path}.style`, type === "img"), children: [] };
    if (type === "img") {
      const named = typeof v.src === "string" && (ctx.images ?? []).includes(v.src);
      const src = named ? null : imageRef.safeParse(v.src);
      if (src && !src.success) fail(`${path}.src`, src.error.issues[0]?.message ?? "invalid");
      for (const dim of ["width", "height"] as const) {
        const d = v[dim];
        const max = dim === "width" ? 1200 : 800;
        if (typeof d !== "number" || !Number.isInteger(d) || d < 1 || d > max)
          fail(`${path}.${dim}`, `required: an integer 1..${max} (pixels, at most the banner's own bound)`);
        out[dim] = d;
      }
      out.src = v.src as string;
      return out;
    }
    const kids = v.children;
    const list = kids === undefined ? [] : Array.isArray(kids) ? kids : [kids];
    if (list.length > MAX_LAYOUT_NODES) fail(`${path}.children`, `more than ${MAX_LAYOUT_NODES} nodes`);
    list.forEach((k, i) => {
      const p = Array.isArray(kids) ? `${path}.children.${i}` : `${path}.children`;
      out.children.push(typeof k === "string" ? text(k, p) : node(k, p, depth + 1));
    });
    return out;
  };

  try {
    return { ok: true, layout: node(value, "layout", 1), fields };
  } catch (err) {
    if (err instanceof LayoutError) return { ok: false, issue: err.message };
    throw err;
  }
}

/**
 * The texts of a layout that parsed, with their paths as parseLayout names them
 * ("layout.children.1"), for the checks only a save makes (see blocks/texts.ts).
 */
export function* layoutTexts(value: unknown, path = "layout"): Generator<[string, string]> {
  if (typeof value === "string") {
    yield [path, value];
    return;
  }
  if (!isObject(value)) return;
  const kids = value.children;
  if (Array.isArray(kids))
    for (let i = 0; i < kids.length; i++) yield* layoutTexts(kids[i], `${path}.children.${i}`);
  else if (kids !== undefined) yield* layoutTexts(kids, `${path}.children`);
}

/**
 * Every box of an operator's layout shrinks to fit inside its parent, whatever its own
 * width, height, margins or content ask: an element drawn wholly outside the canvas can
 * abort the process inside resvg (see above), and nothing outside is seen anyway.
 */
export const FIT_INSIDE = {
  minWidth: 0,
  minHeight: 0,
  maxWidth: "100%",
  maxHeight: "100%",
  flexShrink: 1,
} as const;

/**
 * A checked layout as an element tree, its texts filled by `fill`: every box a flex box
 * unless it says otherwise (satori requires it of any element with more than one child),
 * every box inside its parent. Used by banners and by custom price and weather cards.
 */
export function layoutTree(
  layout: LayoutNode,
  fill: (t: ParsedTemplate) => string,
  src: (ref: string) => string | undefined,
): CardChild {
  const build = (n: LayoutNode): CardChild => {
    if (n.type === "img") {
      const s = src(n.src!);
      const { objectFit, width = n.width!, height = n.height!, ...rest } = n.style;
      const style = { ...rest, maxWidth: "100%", maxHeight: "100%", flexShrink: 1 };
      return s ? pictureBox(s, width, height, style, objectFit === "fill" ? "fill" : "cover") : null;
    }
    // Each text in a box of its own: the renderer's guard sees boxes, not text runs, and a
    // run pushed out of the canvas beside an element must be dropped like one.
    const kids = n.children.map((c) => {
      if (!Array.isArray(c)) return build(c);
      const text = fill(c);
      return text ? el("span", { display: "flex", ...FIT_INSIDE }, text) : null;
    });
    return el(n.type, { display: "flex", ...n.style, ...FIT_INSIDE }, ...kids);
  };
  return build(layout);
}
