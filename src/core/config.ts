import { z } from "zod";
import { webhookSecretBytes } from "./sending/channels/webhook.js";
import { capsSchema, EMAIL_ONLY, quietHoursSchema, SEND_PROVIDERS } from "./sending/settings.js";
import { parseTrustProxy } from "./tracking/client-ip.js";

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

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
  .transform((u) => u.replace(/\/+$/, ""));

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
  /**
   * Which X-Forwarded-For entries to believe, behind reverse proxies of yours: false, true
   * (one proxy), a number of proxies, or their addresses and ranges (tracking/client-ip.ts).
   */
  OPENTIME_TRUST_PROXY: z
    .string()
    .max(4096)
    .default("false")
    .transform((v, ctx) => {
      try {
        return parseTrustProxy(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    }),
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
  // Sending (src/core/sending): a provider is enabled by its secret; OPENTIME_SEND_*_VIA
  // picks the one each channel uses (default: the first configured, in SEND_PROVIDERS order).
  /** From address of opentime's own emails, unless a template sets its own. */
  OPENTIME_MAIL_FROM: z.string().min(3).max(320).optional(),
  /** SMTP connections kept open to SMTP_URL (nodemailer's pool). */
  OPENTIME_SMTP_POOL: z.coerce.number().int().min(1).max(100).default(5),
  OPENTIME_SENDGRID_API_KEY: webhookSecret("OPENTIME_SENDGRID_API_KEY").optional(),
  OPENTIME_SENDGRID_URL: httpUrl.default("https://api.sendgrid.com"),
  OPENTIME_POSTMARK_SERVER_TOKEN: webhookSecret("OPENTIME_POSTMARK_SERVER_TOKEN").optional(),
  OPENTIME_POSTMARK_URL: httpUrl.default("https://api.postmarkapp.com"),
  OPENTIME_POSTMARK_STREAM: z.string().min(1).max(100).default("outbound"),
  OPENTIME_MAILGUN_API_KEY: webhookSecret("OPENTIME_MAILGUN_API_KEY").optional(),
  OPENTIME_MAILGUN_DOMAIN: z.string().min(3).max(253).optional(),
  /** https://api.eu.mailgun.net for EU domains. */
  OPENTIME_MAILGUN_URL: httpUrl.default("https://api.mailgun.net"),
  /** Klaviyo private API key: sends become Klaviyo events that start a Klaviyo flow. */
  OPENTIME_KLAVIYO_API_KEY: webhookSecret("OPENTIME_KLAVIYO_API_KEY").optional(),
  OPENTIME_KLAVIYO_URL: httpUrl.default("https://a.klaviyo.com"),
  OPENTIME_KLAVIYO_REVISION: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/, "must be an API revision date (YYYY-MM-DD)")
    .default("2024-10-15"),
  /** Braze REST API key (campaigns.trigger.send) and the instance's REST endpoint. */
  OPENTIME_BRAZE_API_KEY: webhookSecret("OPENTIME_BRAZE_API_KEY").optional(),
  OPENTIME_BRAZE_URL: httpUrl.optional(),
  OPENTIME_BRAZE_CAMPAIGN_ID: z.string().min(1).max(128).optional(),
  /** Generic outgoing webhook (Standard Webhooks), signed with a whsec_ secret. */
  OPENTIME_WEBHOOK_URL: httpUrl.optional(),
  OPENTIME_WEBHOOK_SECRET: z
    .string()
    .max(200)
    .refine((v) => webhookSecretBytes(v) !== null, "must be whsec_ followed by 24-64 random bytes in base64")
    .optional(),
  OPENTIME_SEND_EMAIL_VIA: z.enum(SEND_PROVIDERS).optional(),
  OPENTIME_SEND_SMS_VIA: z.enum(SEND_PROVIDERS).optional(),
  OPENTIME_SEND_PUSH_VIA: z.enum(SEND_PROVIDERS).optional(),
  /** Caps over the defaults, as JSON (README: Sending). */
  OPENTIME_SEND_CAPS: capsSchema.optional(),
  /** Local quiet hours, "21:00-08:00" (the default) or "off". */
  OPENTIME_SEND_QUIET_HOURS: quietHoursSchema.default("21:00-08:00"),
  /** The zone of people whose profile has no traits.timezone. */
  OPENTIME_SEND_TIMEZONE: z
    .string()
    .max(64)
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "must be an IANA time zone (e.g. Europe/Paris)")
    .default("UTC"),
  /** Local hour for people with no open/click history yet (send-time choice). */
  OPENTIME_SEND_HOUR: z.coerce.number().int().min(0).max(23).default(10),
  /** Longest one provider call may take before it is retried. */
  OPENTIME_SEND_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(15_000),
  /** Tries before a transient failure becomes a dead letter. */
  OPENTIME_SEND_MAX_TRIES: z.coerce.number().int().min(1).max(50).default(8),
  /** Extra fonts for countdowns: any .ttf/.otf here is usable by its file name. */
  OPENTIME_FONTS_DIR: z.string().min(1).optional(),
  /** Flow definitions as code: every *.json here (its file name the flow id) is loaded at start. */
  OPENTIME_FLOWS_DIR: z.string().min(1).optional(),
  /** How long a flow run being advanced is held before another pass may take it (after a crash). */
  OPENTIME_FLOW_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Config = z.infer<typeof configSchema>;

/** Checks between variables: a provider chosen for a channel must be configured, and so on. */
function crossCheck(c: Config): string[] {
  const issues: string[] = [];
  const configured = configuredProviders(c);
  for (const [name, via] of [
    ["OPENTIME_SEND_EMAIL_VIA", c.OPENTIME_SEND_EMAIL_VIA],
    ["OPENTIME_SEND_SMS_VIA", c.OPENTIME_SEND_SMS_VIA],
    ["OPENTIME_SEND_PUSH_VIA", c.OPENTIME_SEND_PUSH_VIA],
  ] as const)
    if (via && !configured.has(via)) issues.push(`${name}: ${via} is not configured (see README: Sending)`);
  for (const [name, via] of [
    ["OPENTIME_SEND_SMS_VIA", c.OPENTIME_SEND_SMS_VIA],
    ["OPENTIME_SEND_PUSH_VIA", c.OPENTIME_SEND_PUSH_VIA],
  ] as const)
    if (via && EMAIL_ONLY.has(via))
      issues.push(`${name}: ${via} carries email only (use webhook, klaviyo or braze)`);
  if (c.OPENTIME_MAILGUN_API_KEY && !c.OPENTIME_MAILGUN_DOMAIN)
    issues.push("OPENTIME_MAILGUN_DOMAIN: required with OPENTIME_MAILGUN_API_KEY");
  if (c.OPENTIME_BRAZE_API_KEY && !c.OPENTIME_BRAZE_URL)
    issues.push("OPENTIME_BRAZE_URL: required with OPENTIME_BRAZE_API_KEY (your instance's REST endpoint)");
  if (c.OPENTIME_WEBHOOK_URL && !c.OPENTIME_WEBHOOK_SECRET)
    issues.push(
      "OPENTIME_WEBHOOK_SECRET: required with OPENTIME_WEBHOOK_URL (outgoing webhooks are always signed)",
    );
  const mails = ["smtp", "sendgrid", "postmark", "mailgun"].some((p) => configured.has(p as never));
  if (mails && !c.OPENTIME_MAIL_FROM)
    issues.push("OPENTIME_MAIL_FROM: required to send email (the From address)");
  return issues;
}

/** Providers whose settings are complete. */
export function configuredProviders(c: Config): Set<(typeof SEND_PROVIDERS)[number]> {
  const out = new Set<(typeof SEND_PROVIDERS)[number]>();
  if (c.SMTP_URL && /^smtps?:/i.test(c.SMTP_URL)) out.add("smtp");
  if (c.OPENTIME_SENDGRID_API_KEY) out.add("sendgrid");
  if (c.OPENTIME_POSTMARK_SERVER_TOKEN) out.add("postmark");
  if (c.OPENTIME_MAILGUN_API_KEY && c.OPENTIME_MAILGUN_DOMAIN) out.add("mailgun");
  if (c.OPENTIME_KLAVIYO_API_KEY) out.add("klaviyo");
  if (c.OPENTIME_BRAZE_API_KEY && c.OPENTIME_BRAZE_URL) out.add("braze");
  if (c.OPENTIME_WEBHOOK_URL && c.OPENTIME_WEBHOOK_SECRET) out.add("webhook");
  return out;
}

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
  const issues = crossCheck(res.data);
  if (issues.length) throw new ConfigError(issues);
  return res.data;
}

/** The public base URL used in generated links: configured, or derived from the listen port. */
export function publicUrlOf(config: Config, listenPort?: number): string {
  return config.OPENTIME_PUBLIC_URL ?? `http://localhost:${listenPort ?? config.PORT}`;
}
