/**
 * CardRenderer for operator-defined banner layouts: satori → resvg → sharp like
 * satori-renderer.ts, with a guard in front of resvg.
 *
 * Why: resvg 2.6 (@resvg/resvg-js 2.6.2, the latest stable) panics when a clipped or masked
 * element lies wholly outside the canvas (geom.rs unwrap; thx/resvg-js#413, #415), and a
 * panic in a native addon aborts the whole process — not one render. Built-in templates
 * keep every box inside the card; an operator's layout can push boxes out (overflowing
 * rows, large paddings), and a fuzz of valid layouts hit the panic within a few hundred
 * renders. So: lay out once with satori's onNodeDetected, drop every box that is wholly
 * outside the canvas (nobody would see it) or has no area, and lay out again, up to
 * MAX_PASSES; a layout that still does not settle throws (the route answers its fallback
 * image). The same fuzz then ran thousands of layouts without a panic.
 */
import satori from "satori";
import type { CardChild, CardElement, CardRenderer, CardRenderOptions } from "../../core/cards/types.js";
import { drawingCard, loadCardFonts, rasterize } from "./satori-renderer.js";

/** Each pass removes what the previous layout put outside; real layouts settle in 1-2. */
const MAX_PASSES = 4;

type Keyed = CardElement & { key: string };

/** A copy of the tree with a key on every element: satori reports boxes by key. */
function withKeys(tree: CardElement): Keyed {
  let n = 0;
  const walk = (e: CardElement): Keyed => {
    const kids = e.props.children;
    const map = (c: CardChild) => (c && typeof c === "object" ? walk(c) : c);
    const children = Array.isArray(kids) ? kids.map(map) : kids === undefined ? undefined : map(kids);
    return { type: e.type, key: `k${n++}`, props: { ...e.props, children } };
  };
  return walk(tree);
}

function prune(e: Keyed, drop: Set<string>): Keyed {
  const kids = e.props.children;
  const keep = (c: CardChild) => !(c && typeof c === "object" && drop.has((c as Keyed).key));
  const map = (c: CardChild) => (c && typeof c === "object" ? prune(c as Keyed, drop) : c);
  const children = Array.isArray(kids) ? kids.filter(keep).map(map) : kids && keep(kids) ? map(kids) : null;
  return { ...e, props: { ...e.props, children } };
}

export async function createLayoutRenderer(opts: { fontsDir?: string } = {}): Promise<CardRenderer> {
  const { fonts, families, text } = loadCardFonts(opts.fontsDir);

  const render = (tree: CardElement, o: CardRenderOptions) => drawingCard(() => draw(tree, o));

  async function draw(tree: CardElement, o: CardRenderOptions): Promise<Uint8Array> {
    let keyed = withKeys(tree);
    let svg: string | null = null;
    for (let pass = 0; pass < MAX_PASSES && svg === null; pass++) {
      const outside = new Set<string>();
      const out = await satori(keyed as unknown as Parameters<typeof satori>[0], {
        width: o.width,
        height: o.height,
        fonts,
        ...text.satoriOptions(keyed),
        onNodeDetected: (node) => {
          const gone =
            !(node.width > 0 && node.height > 0) ||
            node.left >= o.width ||
            node.top >= o.height ||
            node.left + node.width <= 0 ||
            node.top + node.height <= 0;
          if (gone && typeof node.key === "string") outside.add(node.key);
        },
      });
      // The root is the card itself: never outside, never dropped.
      outside.delete(keyed.key);
      if (outside.size === 0) svg = out;
      else keyed = prune(keyed, outside);
    }
    if (svg === null) throw new Error("layout does not fit inside the card");
    return rasterize(svg, o);
  }

  return { render, families, coverage: text.coverage };
}
