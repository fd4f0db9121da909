import type { Channel } from "../../ports/sending.js";
import { listUnsubscribeHeaders } from "../unsubscribe.js";
import { callProvider, type HttpChannelOptions, missing } from "./http.js";

/**
 * Mailgun (POST /v3/{domain}/messages, Basic api:KEY, multipart form). Tracking off; the
 * attempt id is a `v:` variable (it comes back as user-variables on every event, and is
 * visible to the recipient in X-Mailgun-Variables, so it carries nothing personal).
 */
export function createMailgunChannel(
  o: HttpChannelOptions & { apiKey: string; domain: string; from: string },
): Channel {
  const url = `${o.baseUrl.replace(/\/+$/, "")}/v3/${encodeURIComponent(o.domain)}/messages`;
  const auth = `Basic ${btoa(`api:${o.apiKey}`)}`;
  return {
    provider: "mailgun",
    async send(m) {
      if (!m.to.email) return missing("mailgun", m, "email address");
      if (!m.subject || (!m.html && !m.text)) return missing("mailgun", m, "subject and body");
      const form = new FormData();
      form.set("from", m.from ?? o.from);
      form.set("to", m.to.email);
      if (m.replyTo) form.set("h:Reply-To", m.replyTo);
      form.set("subject", m.subject);
      if (m.text) form.set("text", m.text);
      if (m.html) form.set("html", m.html);
      form.set("o:tag", m.campaign);
      form.set("o:tracking", "no");
      form.set("v:opentime_send", m.sendId);
      form.set("h:X-Opentime-Key", m.key);
      for (const [name, value] of listUnsubscribeHeaders(m)) form.set(`h:${name}`, value);
      return callProvider(
        o,
        "mailgun",
        url,
        { method: "POST", headers: { authorization: auth }, body: form },
        async (res) => {
          const j = (await res.json()) as { id?: unknown };
          // "<20260101.abc@mg.shop.example>": events carry it without the brackets.
          return typeof j.id === "string" ? j.id.replace(/^<|>$/g, "") : null;
        },
      );
    },
  };
}
