import { z } from "zod";

/**
 * The environment contract (the README's Configuration table). Pure: the Node entry reads process.env,
 * fills generated secrets and calls parseConfig; a bad value stops the process with a
 * message naming the variable.
 */
const secret = (name: string) =>
  z
    .string()
    .min(24, `${name} must be at least 24 characters (generate one with: openssl rand -base64 32)`)
    .max(512);

/** Shared webhook secrets: long enough that guessing one is not an attack. */
const webhookSecret = (name: string) => z.string().min(16, `${name} must be at least 16 characters`).max(512);
const SNS_TOPIC_ARN = /^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/;

const optionalUrl = z
  .string()
  .url()
  .refine((u) => /^(https?|rediss?|smtps?):\/\//i.test(u), "must be an http(s), redis(s) or smtp(s) URL");

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  OPENTIME_DATA_DIR: z.string().min(1).default("./data"),
  OPENTIME_PUBLIC_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  OPENTIME_API_KEY: secret("OPENTIME_API_KEY"),
  OPENTIME_SECRET: secret("OPENTIME_SECRET"),
  /** Comma-separated Segment-style write keys. */
  OPENTIME_WRITE_KEY: z.string().max(2048).optional(),
  REDIS_URL: optionalUrl.optional(),
  SMTP_URL: optionalUrl.optional(),
  /** Group-commit window for opens and clicks: a crash loses at most this much. */
  OPENTIME_BATCH_MS: z.coerce.number().int().min(1).max(5000).default(50),
  OPENTIME_BATCH_MAX: z.coerce.number().int().min(1).max(100_000).default(2000),
  /**
   * How often opens/clicks are added to each person's email activity (profiles as renders
   * read them); the profile API always sees every hit. Nothing is lost by the wait (the
   * log has them); longer is less disk work per hit.
   */
  OPENTIME_ACTIVITY_FOLD_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /**
   * Days the open/click log and the render-decision log keep their rows; 0 keeps them for
   * ever. Totals, unique counts and each person's email activity are kept regardless.
   */
  OPENTIME_EVENT_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(0),
  /** Trust X-Forwarded-For from a reverse proxy in front of opentime. */
  OPENTIME_TRUST_PROXY: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((v) => v === "true" || v === "1"),
  /**
   * Draw profiles into images for any `u`, without the `us` proof (src/core/profiles/
   * recipient-proof.ts). Off by default: anyone could read a person's data by typing
   * their address into an image URL.
   */
  OPENTIME_UNSIGNED_PROFILES: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((v) => v === "true" || v === "1"),
  // ESP webhooks (POST /v1/webhooks/:provider): a provider is enabled by its secret.
  /** SendGrid "Signed Event Webhook" verification key: base64 SPKI DER (ECDSA P-256). */
  OPENTIME_SENDGRID_PUBLIC_KEY: z
    .string()
    .max(4096)
    .refine(
      (v) => /^[A-Za-z0-9+/=\s-]{40,}$/.test(v.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "")),
      "must be the base64 public key SendGrid shows",
    )
    .optional(),
  /** Mailgun HTTP webhook signing key. */
  OPENTIME_MAILGUN_SIGNING_KEY: webhookSecret("OPENTIME_MAILGUN_SIGNING_KEY").optional(),
  /** Postmark: basic auth put in the webhook URL, and/or a token sent in X-Opentime-Token. */
  OPENTIME_POSTMARK_USER: z.string().min(1).max(256).optional(),
  OPENTIME_POSTMARK_PASSWORD: webhookSecret("OPENTIME_POSTMARK_PASSWORD").optional(),
  OPENTIME_POSTMARK_TOKEN: webhookSecret("OPENTIME_POSTMARK_TOKEN").optional(),
  /** SNS topic ARNs (comma-separated) whose SES notifications are accepted. */
  OPENTIME_SES_TOPIC_ARNS: z
    .string()
    .max(8192)
    .transform((v) =>
      v
        .split(",")
        .map((a) => a.trim())
        .filter(Boolean),
    )
    .refine(
      (arns) => arns.every((a) => SNS_TOPIC_ARN.test(a)),
      "must be SNS topic ARNs (arn:aws:sns:region:account:name), comma-separated",
    )
    .optional(),
  /** Brevo: bearer token set on the webhook, and/or basic auth put in its URL. */
  OPENTIME_BREVO_TOKEN: webhookSecret("OPENTIME_BREVO_TOKEN").optional(),
  OPENTIME_BREVO_USER: z.string().min(1).max(256).optional(),
  OPENTIME_BREVO_PASSWORD: webhookSecret("OPENTIME_BREVO_PASSWORD").optional(),
  /**
   * Weather for weather blocks: Open-Meteo's API (free for non-commercial use only; point
   * this at your own Open-Meteo instance or a paid endpoint otherwise).
   */
  OPENTIME_WEATHER_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
    .default("https://api.open-meteo.com"),
  /** How long a place's weather is reused before it is asked for again. */
  OPENTIME_WEATHER_TTL_S: z.coerce.number().int().min(60).max(86_400).default(900),
  /**
   * Hosts remote content (catalog feeds, product images) may be fetched from, comma-separated:
   * "shop.example", "*.cdn.example" (subdomains) or "*" (any). Empty: nothing is fetched.
   * Private and reserved addresses are refused whatever this says.
   */
  OPENTIME_FETCH_ALLOW: z
    .string()
    .max(8192)
    .transform((v) =>
      v
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine(
      (hosts) => hosts.every((h) => /^(\*|(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.?|\[?[0-9a-f:.]+\]?)$/.test(h)),
      'must be host names, "*.domain" patterns or "*", comma-separated',
    )
    .default(""),
  /** Largest body fetched (a catalog feed is at most 20 MB whatever this says). */
  OPENTIME_FETCH_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(20 * 1024 * 1024)
    .default(20 * 1024 * 1024),
  /** Longest a fetch may take, redirects and body included. */
  OPENTIME_FETCH_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
  /** Extra fonts for countdowns: any .ttf/.otf here is usable by its file name. */
  OPENTIME_FONTS_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as in most env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const res = configSchema.safeParse(cleaned);
  if (!res.success) {
    throw new ConfigError(res.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
  }
  return res.data;
}

/** The public base URL used in generated links: configured, or derived from the listen port. */
export function publicUrlOf(config: Config, listenPort?: number): string {
  return config.OPENTIME_PUBLIC_URL ?? `http://localhost:${listenPort ?? config.PORT}`;
}
