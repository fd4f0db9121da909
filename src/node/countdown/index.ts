export { DEFAULT_ASSETS_DIR, loadExpiredImages, loadImageRgba } from "./expired-image.js";
export { DEFAULT_FONTS_DIR, type FontFile, listFonts } from "./fonts.js";
export { encodeStill, encodeStillPng } from "./png.js";
export { createResvgRasterizer, type ResvgRasterizer } from "./resvg-rasterizer.js";
