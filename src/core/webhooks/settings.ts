import { type Config, ConfigError } from "../config.js";
import type { WebhookSettings } from "./index.js";
import { DEFAULT_TOKEN_HEADER, type SharedSecretAuth } from "./shared-secret.js";

type WebhookEnv = Pick<
  Config,
  | "OPENTIME_SENDGRID_PUBLIC_KEY"
  | "OPENTIME_MAILGUN_SIGNING_KEY"
  | "OPENTIME_POSTMARK_USER"
  | "OPENTIME_POSTMARK_PASSWORD"
  | "OPENTIME_POSTMARK_TOKEN"
  | "OPENTIME_SES_TOPIC_ARNS"
  | "OPENTIME_BREVO_TOKEN"
  | "OPENTIME_BREVO_USER"
  | "OPENTIME_BREVO_PASSWORD"
>;

function sharedSecret(
  prefix: string,
  user: string | undefined,
  password: string | undefined,
  token: string | undefined,
): SharedSecretAuth | undefined {
  if (!!user !== !!password) {
    throw new ConfigError([`${prefix}_USER and ${prefix}_PASSWORD: set both or neither`]);
  }
  if (!user && !token) return undefined;
  return {
    basic: user && password ? { user, password } : undefined,
    token,
    header: DEFAULT_TOKEN_HEADER,
  };
}

/**
 * Which webhook providers the environment enables. The SNS URL policy is never read from
 * the environment: production always requires https and the real SNS host pattern.
 */
export function webhookSettingsFromConfig(config: WebhookEnv): WebhookSettings {
  return {
    sendgrid: config.OPENTIME_SENDGRID_PUBLIC_KEY
      ? { publicKey: config.OPENTIME_SENDGRID_PUBLIC_KEY }
      : undefined,
    mailgun: config.OPENTIME_MAILGUN_SIGNING_KEY
      ? { signingKey: config.OPENTIME_MAILGUN_SIGNING_KEY }
      : undefined,
    postmark: sharedSecret(
      "OPENTIME_POSTMARK",
      config.OPENTIME_POSTMARK_USER,
      config.OPENTIME_POSTMARK_PASSWORD,
      config.OPENTIME_POSTMARK_TOKEN,
    ),
    ses: config.OPENTIME_SES_TOPIC_ARNS?.length ? { topicArns: config.OPENTIME_SES_TOPIC_ARNS } : undefined,
    brevo: sharedSecret(
      "OPENTIME_BREVO",
      config.OPENTIME_BREVO_USER,
      config.OPENTIME_BREVO_PASSWORD,
      config.OPENTIME_BREVO_TOKEN,
    ),
  };
}
