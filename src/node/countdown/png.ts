import sharp from "sharp";
import type { RgbaImage } from "../../core/countdown/index.js";

/** Encodes a still (frame 1) as PNG; palette PNGs would be smaller but lossy for the expired image. */
export async function encodeStillPng(img: RgbaImage): Promise<Uint8Array> {
  const buf = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 4 } })
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Other still formats for `GET /i/:id.jpg|webp`; JPEG has no alpha, so it is flattened on white. */
export async function encodeStill(img: RgbaImage, format: "png" | "jpg" | "webp"): Promise<Uint8Array> {
  if (format === "png") return encodeStillPng(img);
  const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 4 } });
  const buf =
    format === "jpg"
      ? await s.flatten({ background: "#ffffff" }).jpeg({ quality: 90 }).toBuffer()
      : await s.webp({ lossless: true }).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}
