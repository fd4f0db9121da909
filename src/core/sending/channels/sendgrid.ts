import type { Channel } from "../../ports/sending.js";
import { listUnsubscribeHeaders } from "../unsubscribe.js";
import { callProvider, type HttpChannelOptions, missing, parseAddress } from "./http.js";

/**
 * SendGrid v3 Mail Send (POST /v3/mail/send, 202 = queued). opentime tracks opens and
 * clicks itself, so SendGrid's own tracking is turned off (links are not wrapped twice).
 * The attempt id and idempotency key ride in custom_args: they come back on every event.
 */
export function createSendgridChannel(o: HttpChannelOptions & { apiKey: string; from: string }): Channel {
  const url = `${o.baseUrl.replace(/\/+$/, "")}/v3/mail/send`;
  return {
    provider: "sendgrid",
    async send(m) {
      if (!m.to.email) return missing("sendgrid", m, "email address");
      if (!m.subject || (!m.html && !m.text)) return missing("sendgrid", m, "subject and body");
      const content = [];
      // SendGrid requires text/plain before text/html.
      if (m.text) content.push({ type: "text/plain", value: m.text });
      if (m.html) content.push({ type: "text/html", value: m.html });
      const body = {
        personalizations: [
          {
            to: [{ email: m.to.email }],
            custom_args: { opentime_send: m.sendId, opentime_key: m.key, campaign: m.campaign },
          },
        ],
        from: parseAddress(m.from ?? o.from),
        ...(m.replyTo ? { reply_to: parseAddress(m.replyTo) } : {}),
        subject: m.subject,
        content,
        ...(m.unsubscribeUrl ? { headers: Object.fromEntries(listUnsubscribeHeaders(m)) } : {}),
        tracking_settings: {
          click_tracking: { enable: false, enable_text: false },
          open_tracking: { enable: false },
        },
      };
      return callProvider(
        o,
        "sendgrid",
        url,
        {
          method: "POST",
          headers: { authorization: `Bearer ${o.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        },
        async (res) => res.headers.get("x-message-id"),
      );
    },
  };
}
