import { z } from "zod";
import { UTM_KEYS } from "../links/links.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";

/** Shared input pieces for the operator API. */
export const campaignId = z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -");

export const httpUrl = z
  .string()
  .max(4096)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), "must be an absolute http(s) URL");

export const utmSchema = z
  .object(
    Object.fromEntries(UTM_KEYS.map((k) => [k, z.string().min(1).max(200).optional()])) as {
      [K in (typeof UTM_KEYS)[number]]: z.ZodOptional<z.ZodString>;
    },
  )
  .strict();
