import { type Config, configuredProviders } from "../../core/config.js";
import type { Clock } from "../../core/ports/index.js";
import type { ChannelKind } from "../../core/ports/messaging.js";
import type { Channel } from "../../core/ports/sending.js";
import { createBrazeChannel } from "../../core/sending/channels/braze.js";
import { createKlaviyoChannel } from "../../core/sending/channels/klaviyo.js";
import { createMailgunChannel } from "../../core/sending/channels/mailgun.js";
import { createPostmarkChannel } from "../../core/sending/channels/postmark.js";
import { createSendgridChannel } from "../../core/sending/channels/sendgrid.js";
import { createWebhookChannel } from "../../core/sending/channels/webhook.js";
import {
  capsFrom,
  DEFAULT_SENDING,
  routeChannels,
  type SendingSettings,
  type SendProvider,
} from "../../core/sending/settings.js";
import { createSmtpChannel } from "./smtp-channel.js";

/** Sending's settings from the environment (defaults in src/core/sending/settings.ts). */
export function sendingSettingsFromConfig(c: Config): SendingSettings {
  return {
    ...DEFAULT_SENDING,
    ...capsFrom(c.OPENTIME_SEND_CAPS),
    quietHours: c.OPENTIME_SEND_QUIET_HOURS,
    defaultZone: c.OPENTIME_SEND_TIMEZONE,
    defaultHour: c.OPENTIME_SEND_HOUR,
    maxTries: c.OPENTIME_SEND_MAX_TRIES,
  };
}

/**
 * One adapter per configured provider (config.ts has checked each is complete), routed to
 * the channels it carries. Secrets go into the adapters and nowhere else (never logged).
 */
export function channelsFromConfig(c: Config, clock: Clock): Map<ChannelKind, Channel> {
  const timeoutMs = c.OPENTIME_SEND_TIMEOUT_MS;
  const from = c.OPENTIME_MAIL_FROM ?? "";
  const build: Record<SendProvider, () => Channel> = {
    smtp: () => createSmtpChannel({ url: c.SMTP_URL!, from, pool: c.OPENTIME_SMTP_POOL, timeoutMs }),
    sendgrid: () =>
      createSendgridChannel({
        baseUrl: c.OPENTIME_SENDGRID_URL,
        timeoutMs,
        apiKey: c.OPENTIME_SENDGRID_API_KEY!,
        from,
      }),
    postmark: () =>
      createPostmarkChannel({
        baseUrl: c.OPENTIME_POSTMARK_URL,
        timeoutMs,
        serverToken: c.OPENTIME_POSTMARK_SERVER_TOKEN!,
        from,
        messageStream: c.OPENTIME_POSTMARK_STREAM,
      }),
    mailgun: () =>
      createMailgunChannel({
        baseUrl: c.OPENTIME_MAILGUN_URL,
        timeoutMs,
        apiKey: c.OPENTIME_MAILGUN_API_KEY!,
        domain: c.OPENTIME_MAILGUN_DOMAIN!,
        from,
      }),
    klaviyo: () =>
      createKlaviyoChannel({
        baseUrl: c.OPENTIME_KLAVIYO_URL,
        timeoutMs,
        apiKey: c.OPENTIME_KLAVIYO_API_KEY!,
        revision: c.OPENTIME_KLAVIYO_REVISION,
      }),
    braze: () =>
      createBrazeChannel({
        baseUrl: c.OPENTIME_BRAZE_URL!,
        timeoutMs,
        apiKey: c.OPENTIME_BRAZE_API_KEY!,
        campaignId: c.OPENTIME_BRAZE_CAMPAIGN_ID,
      }),
    webhook: () =>
      createWebhookChannel({
        baseUrl: c.OPENTIME_WEBHOOK_URL!,
        timeoutMs,
        secret: c.OPENTIME_WEBHOOK_SECRET!,
        now: () => clock.now(),
      }),
  };
  const routes = routeChannels(configuredProviders(c), {
    email: c.OPENTIME_SEND_EMAIL_VIA,
    sms: c.OPENTIME_SEND_SMS_VIA,
    push: c.OPENTIME_SEND_PUSH_VIA,
  });
  const built = new Map<SendProvider, Channel>();
  const out = new Map<ChannelKind, Channel>();
  for (const [kind, provider] of routes) {
    let ch = built.get(provider);
    if (!ch) {
      ch = build[provider]();
      built.set(provider, ch);
    }
    out.set(kind, ch);
  }
  return out;
}
