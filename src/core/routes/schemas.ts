import { z } from "zod";
import { destinationOf } from "../links/destination.js";
import { UTM_KEYS } from "../links/links.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";

/** Shared input pieces for the operator API. */
export const campaignId = z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -");

/** A destination, as the serialisation every redirect sends (links/destination.ts). */
export const httpUrl = z
  .string()
  .max(4096)
  .transform((u, ctx) => {
    const d = destinationOf(u);
    if (d === null) ctx.addIssue({ code: "custom", message: "must be an absolute http(s) URL" });
    return d ?? z.NEVER;
  });

export const utmSchema = z
  .object(
    Object.fromEntries(UTM_KEYS.map((k) => [k, z.string().min(1).max(200).optional()])) as {
      [K in (typeof UTM_KEYS)[number]]: z.ZodOptional<z.ZodString>;
    },
  )
  .strict();
