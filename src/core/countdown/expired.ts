/**
 * After the deadline the countdown becomes a still: the chosen text in the
 * digits' style, or a chosen image — never negative time. One frame, since
 * nothing changes any more.
 */
import { concatGif, encodeFrame, gifHeader } from "./gif.js";
import { fitText } from "./layout.js";
import type { CountdownOptions } from "./options.js";
import { buildPalette, parseColour } from "./palette.js";
import { blit, createImage, type IndexedImage } from "./raster.js";
import type { Engine } from "./style.js";

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, straight (not premultiplied) alpha. */
  data: Uint8Array;
}

export interface ExpiredStill {
  image: IndexedImage;
  colors: number[];
  transparentIndex: number | null;
  gif(): Uint8Array;
}

function still(image: IndexedImage, colors: number[], transparentIndex: number | null): ExpiredStill {
  return {
    image,
    colors,
    transparentIndex,
    gif() {
      const header = gifHeader(image.width, image.height, colors);
      const r = { x: 0, y: 0, w: image.width, h: image.height };
      const frame = encodeFrame(image.width, image.height, colors, header.length, r, image.px, {
        disposal: 1,
        transparent: transparentIndex,
        delay: 0,
      });
      return concatGif(header, [frame]);
    },
  };
}

export function renderExpired(
  o: CountdownOptions,
  engine: Engine,
  images: { get(name: string): RgbaImage | undefined } | undefined,
): ExpiredStill | null {
  const width = o.width * o.scale;
  const height = o.height * o.scale;
  const src = o.expiredImage ? images?.get(o.expiredImage) : undefined;
  if (src) return imageStill(o, src, width, height);
  if (!o.expiredText) return null; // a missing image falls back to text, then to zeros: never a broken image
  const palette = buildPalette(o);
  const img = createImage(width, height, palette.bg);
  const placed = fitText(o.expiredText, o.font, width, height, engine.glyphs);
  if (placed) blit(img, placed.tile, placed.x, placed.y, palette.textRamp);
  return still(img, palette.colors, palette.transparentIndex);
}

/** Fits the image inside the canvas ("contain"), averaging source pixels when shrinking. */
function imageStill(o: CountdownOptions, src: RgbaImage, width: number, height: number): ExpiredStill {
  const k = Math.min(width / src.width, height / src.height);
  const dw = Math.max(1, Math.round(src.width * k));
  const dh = Math.max(1, Math.round(src.height * k));
  const ox = Math.floor((width - dw) / 2);
  const oy = Math.floor((height - dh) / 2);
  const bg = parseColour(o.background);
  const transparent = bg === "transparent" || bg.alpha === 0;
  const m = parseColour(o.matte);
  const matte = m === "transparent" ? { r: 255, g: 255, b: 255 } : m.rgb;
  const ground = bg === "transparent" || transparent ? matte : bg.rgb;
  // RGB per canvas pixel, -1 where the canvas stays transparent.
  const rgb = new Int32Array(width * height).fill(
    transparent ? -1 : (ground.r << 16) | (ground.g << 8) | ground.b,
  );
  for (let y = 0; y < dh; y++) {
    const sy0 = Math.floor(y / k);
    const sy1 = Math.max(sy0 + 1, Math.min(src.height, Math.floor((y + 1) / k)));
    for (let x = 0; x < dw; x++) {
      const sx0 = Math.floor(x / k);
      const sx1 = Math.max(sx0 + 1, Math.min(src.width, Math.floor((x + 1) / k)));
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      let n = 0;
      for (let sy = sy0; sy < sy1; sy++) {
        for (let sx = sx0; sx < sx1; sx++) {
          const i = (Math.min(sy, src.height - 1) * src.width + Math.min(sx, src.width - 1)) * 4;
          const al = src.data[i + 3] as number;
          r += (src.data[i] as number) * al;
          g += (src.data[i + 1] as number) * al;
          b += (src.data[i + 2] as number) * al;
          a += al;
          n++;
        }
      }
      const alpha = a / (255 * n);
      if (transparent && alpha < 0.5) continue;
      const cr = a ? r / a : 0;
      const cg = a ? g / a : 0;
      const cb = a ? b / a : 0;
      const mix = (c: number, gr: number) => Math.round(gr + (c - gr) * alpha);
      rgb[(y + oy) * width + x + ox] =
        (mix(cr, ground.r) << 16) | (mix(cg, ground.g) << 8) | mix(cb, ground.b);
    }
  }
  return quantize(rgb, width, height, transparent);
}

/**
 * Flat artwork (the usual "offer ended" banner) has few colours and is kept
 * exact; photos fall back to a fixed 6×7×6 colour cube — no dithering, which
 * would make the LZW data (and the email) several times larger.
 */
function quantize(rgb: Int32Array, width: number, height: number, transparent: boolean): ExpiredStill {
  const offset = transparent ? 1 : 0;
  const unique = new Map<number, number>();
  for (const c of rgb) {
    if (c >= 0 && !unique.has(c)) {
      unique.set(c, unique.size + offset);
      if (unique.size > 256 - offset) break;
    }
  }
  const px = new Uint8Array(width * height);
  let colors: number[];
  if (unique.size <= 256 - offset) {
    colors = [...(transparent ? [0] : []), ...unique.keys()];
    for (let i = 0; i < rgb.length; i++) px[i] = rgb[i] === -1 ? 0 : (unique.get(rgb[i] as number) as number);
  } else {
    colors = transparent ? [0] : [];
    for (let r = 0; r < 6; r++)
      for (let g = 0; g < 7; g++)
        for (let b = 0; b < 6; b++)
          colors.push(
            (Math.round((r * 255) / 5) << 16) | (Math.round((g * 255) / 6) << 8) | Math.round((b * 255) / 5),
          );
    for (let i = 0; i < rgb.length; i++) {
      const c = rgb[i] as number;
      if (c === -1) continue;
      const r = Math.round((((c >> 16) & 255) * 5) / 255);
      const g = Math.round((((c >> 8) & 255) * 6) / 255);
      const b = Math.round(((c & 255) * 5) / 255);
      px[i] = offset + r * 42 + g * 6 + b;
    }
  }
  let size = 2;
  while (size < colors.length) size *= 2;
  while (colors.length < size) colors.push(0);
  return still({ width, height, px }, colors, transparent ? 0 : null);
}

export function toRgba(img: IndexedImage, colors: number[], transparentIndex: number | null): RgbaImage {
  const data = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.px.length; i++) {
    const p = img.px[i] as number;
    const c = colors[p] as number;
    data[i * 4] = (c >> 16) & 255;
    data[i * 4 + 1] = (c >> 8) & 255;
    data[i * 4 + 2] = c & 255;
    data[i * 4 + 3] = p === transparentIndex ? 0 : 255;
  }
  return { width: img.width, height: img.height, data };
}
