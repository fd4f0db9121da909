// Brevo transactional webhooks: authenticated by a shared secret (see shared-secret.ts);
// one JSON object per POST, or an array when batched webhooks are enabled.

import { table } from "../util/dict.js";
import { isObj, num, type Obj, parseJsonBody, str } from "./bytes.js";
import { compact, customArgs, emailOf, MAX_EVENTS_PER_POST, messageIdOf, urlOf } from "./common.js";
import { checkSharedSecret, type SharedSecretAuth } from "./shared-secret.js";
import { type EmailEvent, type Normalised, reject, type WebhookProvider } from "./types.js";

export function brevoProvider(auth: SharedSecretAuth): WebhookProvider {
  return {
    name: "brevo",
    async receive({ headers, body, now }) {
      if (!(await checkSharedSecret(headers, auth))) {
        return reject("unauthorized", "send the Brevo webhook credentials (bearer token or basic auth)");
      }
      const json = parseJsonBody(body);
      if (json === undefined) return reject("invalid_json", "the body is not valid JSON");
      const items = Array.isArray(json) ? json : [json];
      if (items.length > MAX_EVENTS_PER_POST) return reject("bad_request", "too many events in one POST");
      if (!items.every(isObj))
        return reject("bad_request", "a Brevo webhook is a JSON object (or an array of them)");
      return { ok: true, ...normaliseBrevo(items as Obj[], now) };
    },
  };
}

type Mapping = { type: EmailEvent["type"]; machine?: boolean; bounce?: "hard" | "soft" };

/**
 * Brevo's names vary between its docs ("Proxy Open") and payloads ("proxy_open"):
 * they are compared lower-cased with spaces as underscores. Proxy opens are Brevo's own
 * label for opens made by a mail provider's image proxy (Apple MPP and alike).
 */
const TYPES = table<Mapping>({
  delivered: { type: "delivered" },
  opened: { type: "open" },
  unique_opened: { type: "open" },
  first_opening: { type: "open" },
  proxy_open: { type: "open", machine: true },
  unique_proxy_open: { type: "open", machine: true },
  click: { type: "click" },
  clicked: { type: "click" },
  hard_bounce: { type: "bounce", bounce: "hard" },
  hard_bounced: { type: "bounce", bounce: "hard" },
  soft_bounce: { type: "bounce", bounce: "soft" },
  soft_bounced: { type: "bounce", bounce: "soft" },
  spam: { type: "complaint" },
  unsubscribed: { type: "unsubscribe" },
  blocked: { type: "dropped" },
  invalid_email: { type: "dropped" },
  deferred: { type: "deferred" },
  // request/sent, error: not about the person; ignored.
});

/** Brevo passes our recipient id either as X-Mailin-custom JSON or as an `rid:…` tag. */
function brevoArgs(r: Obj): { recipientId?: string; campaign?: string } {
  const custom = r["X-Mailin-custom"];
  if (typeof custom === "string" && custom.startsWith("{")) {
    try {
      const args = customArgs(JSON.parse(custom));
      if (args.recipientId || args.campaign) return args;
    } catch {
      // not JSON: fall through to tags
    }
  }
  const tags: unknown[] = Array.isArray(r.tags) ? r.tags : typeof r.tag === "string" ? [r.tag] : [];
  const fromTags: Record<string, string> = {};
  for (const t of tags) {
    const m = typeof t === "string" ? /^(rid|campaign)[:_=](.+)$/.exec(t) : null;
    if (m && !fromTags[m[1]!]) fromTags[m[1]!] = m[2]!;
  }
  return customArgs(fromTags);
}

export function normaliseBrevo(items: Obj[], now: number): Normalised {
  const events: EmailEvent[] = [];
  let ignored = 0;
  for (const r of items) {
    const name = String(r.event ?? "")
      .toLowerCase()
      .replace(/\s+/g, "_");
    const m = TYPES[name];
    const email = emailOf(r.email);
    if (!m || !email) {
      ignored++;
      continue;
    }
    // ts_event is when it happened; ts when Brevo sent the webhook; date is local time.
    const ts = num(r.ts_event) ?? num(r.ts_epoch) ?? num(r.ts);
    const at = ts !== undefined ? (ts > 1e12 ? ts : ts * 1000) : now;
    const messageId = str(r["message-id"]) ?? str(r.message_id) ?? "?";
    const url = m.type === "click" ? urlOf(r.link ?? r.URL) : undefined;
    events.push(
      compact({
        provider: "brevo",
        type: m.type,
        email,
        at: Math.round(at),
        // Brevo's `id` is the webhook's id, not the event's: this key is stable across retries.
        id: `${messageId}:${name}:${ts ?? str(r.date) ?? ""}:${email}${url ? `:${url}` : ""}`,
        machine: m.type === "open" ? m.machine === true : undefined,
        url,
        bounce: m.bounce,
        messageId: messageIdOf(messageId === "?" ? undefined : messageId),
        ...brevoArgs(r),
      }),
    );
  }
  return { events, ignored };
}
