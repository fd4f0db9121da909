import type { CountdownKit } from "../core/blocks/countdown-block.js";
import { createResvgRasterizer, encodeStill, loadExpiredImages } from "./countdown/index.js";

/**
 * Countdown rendering for the server: one rasterizer for the process (its glyph caches stay
 * warm across requests), expired-state images decoded once at start from assets/.
 */
export async function createCountdownKit(
  opts: { fontDirs?: readonly string[]; assetsDir?: string } = {},
): Promise<CountdownKit> {
  const rasterizer = createResvgRasterizer({ fontDirs: opts.fontDirs });
  const images = await loadExpiredImages(opts.assetsDir);
  return {
    deps: { rasterizer, images },
    fontIds: rasterizer.fontIds,
    imageNames: [...images.keys()],
    coverage: rasterizer.coverage,
    encodeStill,
  };
}
