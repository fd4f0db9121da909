import { z } from "zod";
import { type CardElement, type CardStyle, el } from "./types.js";

/**
 * Images cards may draw: files from assets/ by plain file name, read ONCE at start by the
 * adapter (src/node/cards/assets.ts) and held as data: URLs, so a render never touches the
 * disk or the network.
 */
export interface CardAssets {
  /** The file as a data: URL; undefined when assets/ has no such file. */
  get(name: string): string | undefined;
  readonly names: readonly string[];
}

export const noCardAssets: CardAssets = { get: () => undefined, names: [] };

/** A plain file name: no path, so nothing outside assets/ can be named. */
export const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\.(png|jpe?g|gif)$/i;
/** Inline images: the three formats satori decodes, base64 only. */
const DATA_URL = /^data:image\/(png|jpeg|gif);base64,[A-Za-z0-9+/]+={0,2}$/;
/** An inline image is stored in the block and drawn at every render miss: kept small. */
export const MAX_DATA_URL = 512 * 1024;

/**
 * An image option: a file in assets/ or a data: URL. Remote URLs are refused — fetching at
 * render time would put someone else's server (and an SSRF surface) on the open's path.
 */
export function imageRefSchema(assets: CardAssets) {
  return z
    .string()
    .min(1)
    .max(MAX_DATA_URL, `inline images are limited to ${MAX_DATA_URL / 1024} KB`)
    .superRefine((v, ctx) => {
      if (v.startsWith("data:")) {
        if (!DATA_URL.test(v))
          ctx.addIssue({ code: "custom", message: "use a base64 data:image/png|jpeg|gif URL" });
      } else if (!ASSET_NAME.test(v)) {
        ctx.addIssue({ code: "custom", message: "use a .png/.jpg/.gif file name in assets/ or a data: URL" });
      } else if (assets.get(v) === undefined) {
        const have = assets.names.length ? assets.names.join(", ") : "none";
        ctx.addIssue({ code: "custom", message: `no file "${v}" in assets/ (available: ${have})` });
      }
    });
}

/** The src to draw for a validated image option (undefined if its asset went away since). */
export function imageSrc(ref: string, assets: CardAssets): string | undefined {
  return ref.startsWith("data:") ? ref : assets.get(ref);
}

/**
 * A picture filling a box, drawn as the box's background (satori: a pattern-filled rect)
 * rather than an <img>: an <img> with object-fit: cover is drawn at its full scaled size
 * and clipped to the box, so it can reach past the card's edge, and resvg 2.6 aborts the
 * process on some such masked images (found in the split banner at 100x300). A background
 * never leaves its box. `fill` stretches the picture to the box instead of cropping it.
 */
export function pictureBox(
  src: string,
  width: number | string,
  height: number | string,
  style: CardStyle = {},
  fit: "cover" | "fill" = "cover",
): CardElement {
  return el("div", {
    display: "flex",
    width,
    height,
    backgroundImage: `url(${src})`,
    backgroundSize: fit === "fill" ? "100% 100%" : "cover",
    backgroundPosition: "center",
    backgroundRepeat: "no-repeat",
    ...style,
  });
}
