// ESP webhooks: verification and normalisation, one file per provider, Web Crypto only.
import { brevoProvider } from "./brevo.js";
import { mailgunProvider } from "./mailgun.js";
import { postmarkProvider } from "./postmark.js";
import { sendgridProvider } from "./sendgrid.js";
import { type SesOptions, sesProvider } from "./ses.js";
import type { SharedSecretAuth } from "./shared-secret.js";
import type { WebhookProvider } from "./types.js";

export type { SesOptions } from "./ses.js";
export type { SharedSecretAuth } from "./shared-secret.js";
export { SNS_HOST_PATTERN, SNS_URL_POLICY, type SnsUrlPolicy } from "./sns.js";
export type { EmailEvent, EmailEventSink, WebhookProvider, WebhookResult } from "./types.js";

export const WEBHOOK_PROVIDERS = ["sendgrid", "mailgun", "postmark", "ses", "brevo"] as const;
export type WebhookProviderName = (typeof WEBHOOK_PROVIDERS)[number];

/** Which providers are enabled and their secrets; an absent provider answers 404. */
export interface WebhookSettings {
  sendgrid?: { publicKey: string };
  mailgun?: { signingKey: string };
  postmark?: SharedSecretAuth;
  /** `policy` and `fetch` are for tests (loopback stand-ins); production leaves them unset. */
  ses?: SesOptions;
  brevo?: SharedSecretAuth;
}

export function createWebhookProviders(settings: WebhookSettings = {}): Map<string, WebhookProvider> {
  const out = new Map<string, WebhookProvider>();
  if (settings.sendgrid) out.set("sendgrid", sendgridProvider(settings.sendgrid));
  if (settings.mailgun) out.set("mailgun", mailgunProvider(settings.mailgun));
  if (settings.postmark) out.set("postmark", postmarkProvider(settings.postmark));
  if (settings.ses && settings.ses.topicArns.length > 0) out.set("ses", sesProvider(settings.ses));
  if (settings.brevo) out.set("brevo", brevoProvider(settings.brevo));
  return out;
}
