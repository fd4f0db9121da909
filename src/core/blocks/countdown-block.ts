import { z } from "zod";
import {
  type CountdownDeps,
  type CountdownOptions,
  frameBudgetIssue,
  parseCountdownOptions,
  type RgbaImage,
  renderCountdownFrameRgba,
  renderCountdownGif,
} from "../countdown/index.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import type { CachedImage } from "./byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "./fallback.js";
import { type TextCoverage, textIssues } from "./texts.js";

/** What the Node side provides for countdowns: glyphs, expired images and still encoding. */
export interface CountdownKit {
  deps: CountdownDeps;
  /** Fonts the rasterizer has loaded; options naming another font are refused. */
  fontIds: readonly string[];
  /** The expired images there are (assets/); a block naming another is refused. */
  imageNames?: readonly string[];
  /** What the fonts can draw; without it, texts are only checked for control characters. */
  coverage?: TextCoverage;
  encodeStill(img: RgbaImage, format: "png" | "jpg" | "webp"): Promise<Uint8Array>;
}

/**
 * Evergreen timers: the deadline is relative to each recipient — their first open of this
 * block (remembered per recipient, across restarts) or a time passed in the URL (e.g. the
 * send time via the ESP's merge tag) — so every person gets their own 24 hours.
 */
const evergreenSchema = z
  .object({
    /** Seconds from the start to the deadline: 1 minute to 1 year. */
    duration: z
      .number()
      .int()
      .min(60)
      .max(366 * 86400),
    from: z.enum(["first_open", "param"]).default("first_open"),
    /** With from=param: the query parameter holding the start (Unix seconds or ISO 8601). */
    param: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,19}$/)
      .default("t"),
  })
  .strict();

/** Block-level keys around the countdown's own options (which are strict). */
const envelopeSchema = z
  .object({
    campaign: z.string().regex(CAMPAIGN_RE, "campaign: use 1-128 of A-Z a-z 0-9 . _ : ~ -").optional(),
    evergreen: evergreenSchema.optional(),
  })
  .passthrough();

export interface CountdownBlock {
  campaign?: string;
  evergreen?: z.infer<typeof evergreenSchema>;
  countdown: CountdownOptions;
}

// Stands in for the deadline while validating an evergreen timer's look; replaced per recipient.
const PLACEHOLDER_DEADLINE = "2000-01-01T00:00:00Z";

export function parseCountdownBlock(
  input: unknown,
  fontIds: readonly string[],
): { ok: true; block: CountdownBlock } | { ok: false; issues: string[] } {
  const env = envelopeSchema.safeParse(input);
  if (!env.success)
    return { ok: false, issues: env.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  const { campaign, evergreen, ...rest } = env.data;
  if (evergreen && rest.deadline === undefined) rest.deadline = PLACEHOLDER_DEADLINE;
  const parsed = parseCountdownOptions(rest, fontIds);
  if (!parsed.ok) return parsed;
  return { ok: true, block: { campaign, evergreen, countdown: parsed.options } };
}

/**
 * What only a save checks, on options that parsed: every text drawable with the block's
 * font, the expired image present. A block saved before a check existed renders as before.
 */
export function countdownSaveIssues(o: CountdownOptions, kit: CountdownKit): string[] {
  const issues = textIssues(
    [
      ["expiredText", o.expiredText],
      ["separator", o.separator],
    ],
    kit.coverage,
    o.font,
  );
  const names = kit.imageNames;
  if (o.expiredImage !== undefined && names && !names.includes(o.expiredImage))
    issues.push(
      `expiredImage: "${o.expiredImage}" is not in assets/ (there: ${names.join(", ") || "no .png or .gif"})`,
    );
  // Drawn only once the texts are known to be drawable.
  if (issues.length) return issues;
  const budget = frameBudgetIssue(o, kit.deps);
  return budget ? [`frames: ${budget}`] : [];
}

/** The start of an evergreen timer from the URL parameter: Unix seconds or ISO 8601; null when absent or bad. */
export function parseStart(raw: string | undefined): number | null {
  if (!raw || raw.length > 40) return null;
  if (/^\d{9,11}$/.test(raw)) return Number(raw) * 1000;
  const t = Date.parse(raw);
  return Number.isFinite(t) ? t : null;
}

/**
 * A start from the URL is whatever the link says: never later than now (a future start
 * would show more than the timer's duration, up to millions of days), never earlier than
 * one duration ago (already expired then; the bound keeps the deadline a real date).
 */
export function clampStart(start: number | null, now: number, durationS: number): number {
  if (start === null) return now;
  return Math.min(now, Math.max(now - durationS * 1000, start));
}

/** Renders a countdown at `now` for a deadline already resolved (evergreen or fixed). */
export async function renderCountdown(
  kit: CountdownKit,
  opts: CountdownOptions,
  now: number,
  ext: ImageExt,
): Promise<CachedImage> {
  if (ext === "gif") {
    return { bytes: renderCountdownGif(opts, now, kit.deps), contentType: CONTENT_TYPES.gif };
  }
  const still = renderCountdownFrameRgba(opts, now, kit.deps);
  return { bytes: await kit.encodeStill(still, ext), contentType: CONTENT_TYPES[ext] };
}

export function withDeadline(opts: CountdownOptions, deadlineMs: number): CountdownOptions {
  return { ...opts, deadline: new Date(deadlineMs).toISOString() };
}
