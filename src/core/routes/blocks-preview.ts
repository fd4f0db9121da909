import { z } from "zod";
import type { App } from "../app-env.js";
import { fallbackImage, IMAGE_EXTS, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";
import type { BlockRecord } from "../ports/index.js";
import { INSTANT_RE } from "../rules/conditions.js";
import type { BlockRules } from "../rules/engine.js";
import { openContext, renderStoredOpen } from "../rules/render-open.js";
import { DEFAULT_VARIANT } from "../rules/variants.js";
import { NO_CACHE_HEADERS } from "../tracking/answers.js";
import { normalizeRecipient } from "../tracking/recipient.js";
import { parseInstant, refineDate } from "../util/dates.js";
import { findBlock } from "./blocks-shared.js";

/** One literal route per format: a pattern inside the segment would push the whole app onto Hono's slower trie router. */
export const PREVIEW_PATHS = IMAGE_EXTS.map((ext) => `/v1/blocks/:id/preview.${ext}`);

const query = z.object({
  ext: z.enum(IMAGE_EXTS as unknown as [ImageExt, ...ImageExt[]]),
  u: z.string().max(1000).optional(),
  at: z
    .string()
    .max(40)
    .regex(INSTANT_RE, "use an ISO 8601 instant with an offset, e.g. 2026-12-24T18:00:00+01:00")
    .superRefine(refineDate(parseInstant))
    .optional(),
  ua: z.string().max(1024).optional(),
  variant: z.string().max(64).optional(),
});

function variantNames(rules: BlockRules, block: BlockRecord): string[] | null {
  try {
    return [DEFAULT_VARIANT, ...rules.rulesOf(block).variants.map((v) => v.name)];
  } catch {
    return null;
  }
}

/**
 * GET /v1/blocks/:id/preview.:ext?u=&at=&ua=&variant= — the block exactly as recipient `u`
 * would see it at `at` with user agent `ua` (the same variant choice and the same render
 * path as /i/), or as the forced `variant`. Records NOTHING: no open, no decision, no
 * evergreen first-seen time, no profile activity. Operator key required (/v1/*).
 * Other query parameters reach the block as on /i/ (evergreen `t`, weather `lat`/`lon`).
 */
export function registerBlocksPreview(app: App): void {
  // Literal "preview.<ext>" segments: RegExpRouter (the fast one, chosen for the whole app
  // only if every route suits it) cannot take a pattern or a parameter there.
  app.on("GET", PREVIEW_PATHS, async (c) => {
    const s = c.get("services");
    const ext = c.req.path.slice(c.req.path.lastIndexOf(".") + 1).toLowerCase();
    const q = parseParams(query, { ...c.req.query(), ext }, "query");
    const block = await findBlock(s, c.req.param("id")!);
    if (q.variant !== undefined) {
      // Stored rules that no longer compile are a render failure, answered below like /i/ does.
      const names = variantNames(s.rules, block);
      if (names && !names.includes(q.variant))
        throw new ApiError("validation_failed", `query.variant: use one of ${names.join(", ")}`);
    }
    const open = openContext(s, {
      recipient: normalizeRecipient(q.u),
      userAgent: q.ua ?? null,
      now: q.at ? Date.parse(q.at) : s.clock.now(),
      query: (n) => c.req.query(n),
      preview: true,
    });
    const headers: Record<string, string> = { ...NO_CACHE_HEADERS };
    let bytes: Uint8Array;
    try {
      // No client address: the operator's own is not the recipient's.
      const shown = await renderStoredOpen(s, block, q.ext, open, { variant: q.variant });
      headers["Content-Type"] = shown.image.contentType;
      headers["X-Opentime-Variant"] = shown.variant;
      if (shown.fallback) headers["X-Opentime-Fallback"] = shown.fallback;
      bytes = shown.image.bytes;
    } catch (err) {
      // What the recipient would get: the fallback image, with the reason for the operator.
      if (!(err instanceof RenderError)) s.logger.error({ err, block: block.id }, "preview render failed");
      const img = fallbackImage(q.ext);
      headers["Content-Type"] = img.contentType;
      headers["X-Opentime-Fallback"] = err instanceof RenderError ? err.reason : "render_failed";
      bytes = img.bytes;
    }
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, headers);
  });
}
