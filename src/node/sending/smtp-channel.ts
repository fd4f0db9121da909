import nodemailer from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool";
import type { Channel, ChannelResult } from "../../core/ports/sending.js";
import { parseAddress } from "../../core/sending/channels/http.js";
import { listUnsubscribeHeaders } from "../../core/sending/unsubscribe.js";

export interface SmtpChannelOptions {
  /** smtp://user:pass@host:587 or smtps://…:465 (secure only on 465, as nodemailer says). */
  url: string;
  from: string;
  /** Connections kept open (nodemailer's pool). */
  pool: number;
  timeoutMs: number;
}

/** SMTP reply codes and socket errors worth another try; any other refusal is permanent. */
const TRANSIENT_CODES = new Set([
  "ECONNECTION",
  "ETIMEDOUT",
  "ESOCKET",
  "EDNS",
  "ECONNRESET",
  "ECONNREFUSED",
]);

/**
 * SMTP through nodemailer's pool: any ESP's relay, or your own MTA. The Message-ID is
 * derived from the attempt id, so a send repeated after a crash carries the same one and
 * the receiving side can drop it; the attempt id also rides in the relay headers SendGrid
 * (X-SMTPAPI), Mailgun (X-Mailgun-Variables) and Postmark (X-PM-Metadata-*) turn into the
 * custom args their webhooks send back.
 */
export function createSmtpChannel(o: SmtpChannelOptions): Channel {
  const options: SMTPPool.Options = {
    url: o.url,
    pool: true,
    maxConnections: o.pool,
    maxMessages: Number.POSITIVE_INFINITY,
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
  };
  const transport = nodemailer.createTransport(options);
  const domainOf = (from: string) => parseAddress(from).email.split("@")[1] ?? "opentime.invalid";
  return {
    provider: "smtp",
    async send(m): Promise<ChannelResult> {
      if (!m.to.email) return { ok: false, permanent: true, reason: "smtp: the person has no email address" };
      if (!m.subject || (!m.html && !m.text))
        return {
          ok: false,
          permanent: true,
          reason: `smtp: the message has no subject and body (template ${m.template.id})`,
        };
      const from = m.from ?? o.from;
      const messageId = `<${m.sendId}.opentime@${domainOf(from)}>`;
      const args = JSON.stringify({ opentime_send: m.sendId, campaign: m.campaign });
      try {
        const info = await transport.sendMail({
          from,
          to: m.to.email,
          ...(m.replyTo ? { replyTo: m.replyTo } : {}),
          subject: m.subject,
          ...(m.text ? { text: m.text } : {}),
          ...(m.html ? { html: m.html } : {}),
          messageId,
          headers: {
            "X-Opentime-Send": m.sendId,
            "X-Opentime-Key": m.key,
            "X-SMTPAPI": JSON.stringify({ unique_args: { opentime_send: m.sendId, campaign: m.campaign } }),
            "X-Mailgun-Variables": args,
            "X-PM-Metadata-opentime_send": m.sendId,
            ...Object.fromEntries(listUnsubscribeHeaders(m)),
          },
        });
        return { ok: true, providerId: (info.messageId ?? messageId).replace(/^<|>$/g, "") };
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; message?: string };
        const reason = `smtp: ${e.responseCode ? `${e.responseCode} ` : ""}${(e.message ?? String(err)).slice(0, 300)}`;
        // 4xx replies are "try again later"; 5xx are refusals. No reply at all: the connection.
        const transient = e.responseCode
          ? e.responseCode < 500
          : TRANSIENT_CODES.has(e.code ?? "") || !e.responseCode;
        return { ok: false, permanent: !transient, reason };
      }
    },
    async close() {
      transport.close();
    },
  };
}
