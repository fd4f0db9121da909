import { z } from "zod";

/**
 * The environment contract (names from DESIGN.md). Pure: the Node entry reads process.env,
 * fills generated secrets and calls parseConfig; a bad value stops the process with a
 * message naming the variable.
 */
const secret = (name: string) =>
  z
    .string()
    .min(24, `${name} must be at least 24 characters (generate one with: openssl rand -base64 32)`)
    .max(512);

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
  /** Trust X-Forwarded-For from a reverse proxy in front of opentime. */
  OPENTIME_TRUST_PROXY: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((v) => v === "true" || v === "1"),
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
