import { z } from "zod";
import { parseInstant, parseWallTime, refineDate } from "../util/dates.js";

/**
 * Options of a countdown block. Bounds are chosen so one render stays small
 * and fast: width × height × scale² ≤ 2400 × 1200 px and ≤ 120 frames bounds
 * the memory and CPU of a single request, whatever a caller sends.
 */

import { COUNTDOWN_LAYOUTS, COUNTDOWN_LOCALES } from "../blocks/choices.js";

export { COUNTDOWN_LAYOUTS, COUNTDOWN_LOCALES };
export type CountdownLocale = (typeof COUNTDOWN_LOCALES)[number];

export const COUNTDOWN_UNITS = ["days", "hours", "minutes", "seconds"] as const;
export type CountdownUnit = (typeof COUNTDOWN_UNITS)[number];

export type CountdownLayout = (typeof COUNTDOWN_LAYOUTS)[number];

/** #rgb, #rrggbb, #rrggbbaa or "transparent" (only meaningful for the background). */
export const colourSchema = z
  .string()
  .regex(
    /^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|transparent)$/,
    "colour must be #rgb, #rrggbb, #rrggbbaa or transparent",
  );

/** An ISO 8601 instant that carries its own offset ("Z" or ±hh:mm): no guessing a zone. */
const isoWithOffset = z
  .string()
  .max(40)
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/,
    "deadline must be ISO 8601 with an offset, e.g. 2026-12-24T18:00:00+01:00",
  )
  .superRefine(refineDate(parseInstant));

/** A wall-clock time in an IANA zone; converted with Intl only (see time.ts for DST rules). */
const localDeadline = z.object({
  local: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, "local must be YYYY-MM-DDTHH:mm[:ss] without offset")
    .superRefine(refineDate(parseWallTime)),
  timeZone: z
    .string()
    .max(40)
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "unknown IANA time zone"),
});

const shortText = z.string().max(40);

export const unitsSchema = z.union([
  z
    .array(z.enum(COUNTDOWN_UNITS))
    .min(1)
    .max(4)
    .refine((a) => new Set(a).size === a.length, "units must not repeat"),
  z.literal("hours-only"),
]);

export const countdownOptionsSchema = z
  .object({
    deadline: z.union([isoWithOffset, localDeadline]),
    width: z.number().int().min(50).max(1200).default(600),
    height: z.number().int().min(20).max(600).default(120),
    /** Frames after the first are one second apart; 60 covers a typical glance at the email. */
    frames: z.number().int().min(1).max(120).default(60),
    background: colourSchema.default("#ffffff"),
    digitColor: colourSchema.default("#111111"),
    labelColor: colourSchema.default("#555555"),
    /** Fill of the cells in the "boxes" layout. */
    boxColor: colourSchema.default("#eeeeee"),
    /** GIF has 1-bit alpha: with a transparent background, edges are blended against this colour. */
    matte: colourSchema.default("#ffffff"),
    /** Font id (file name without extension in fonts/); the caller checks it against the loaded list. */
    font: shortText.min(1).default("Roboto-Bold"),
    units: unitsSchema.default(["days", "hours", "minutes", "seconds"]),
    labels: z.boolean().default(true),
    locale: z.enum(COUNTDOWN_LOCALES).default("en"),
    /** Drawn between cells; "" for none. Short, so it never dominates the layout. */
    separator: z.string().max(3).default(":"),
    layout: z.enum(COUNTDOWN_LAYOUTS).default("boxes"),
    /** 2 = retina: twice the pixels, shown at width × height by the email's <img> tag. */
    scale: z.union([z.literal(1), z.literal(2)]).default(1),
    /** After the deadline: this text in the digits' style… */
    expiredText: shortText.optional(),
    /** …or this image from assets/ (a plain file name, so no path can escape the folder). */
    expiredImage: z
      .string()
      .max(40)
      .regex(
        /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(png|gif)$/,
        "expiredImage must be a .png or .gif file name in assets/",
      )
      .optional(),
  })
  .strict()
  .refine(
    (o) => o.digitColor !== "transparent" && o.labelColor !== "transparent" && o.boxColor !== "transparent",
    {
      message: "only the background may be transparent",
    },
  )
  .refine((o) => o.matte !== "transparent", { message: "matte must be opaque" });

export type CountdownOptions = z.output<typeof countdownOptionsSchema>;
export type CountdownOptionsInput = z.input<typeof countdownOptionsSchema>;

/**
 * Parses untrusted options and checks the font against the fonts the server
 * actually has (known only at runtime). Returns a value, never throws.
 */
export function parseCountdownOptions(
  input: unknown,
  knownFonts: readonly string[],
): { ok: true; options: CountdownOptions } | { ok: false; issues: string[] } {
  const r = countdownOptionsSchema.safeParse(input);
  if (!r.success) {
    return { ok: false, issues: r.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`) };
  }
  if (!knownFonts.includes(r.data.font)) {
    return {
      ok: false,
      issues: [`font: unknown font "${r.data.font}", expected one of ${knownFonts.join(", ")}`],
    };
  }
  return { ok: true, options: r.data };
}

/** The units actually drawn, largest first (the order a reader expects). */
export function resolvedUnits(units: CountdownOptions["units"]): CountdownUnit[] {
  if (units === "hours-only") return ["hours", "minutes", "seconds"];
  return COUNTDOWN_UNITS.filter((u) => units.includes(u));
}
