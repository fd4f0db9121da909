// Postmark webhooks: authenticated by a shared secret (see shared-secret.ts), one JSON
// object per POST with a RecordType.

import { isObj, isoMs, type Obj, parseJsonBody, str } from "./bytes.js";
import { compact, customArgs, emailOf, messageIdOf, urlOf } from "./common.js";
import { checkSharedSecret, type SharedSecretAuth } from "./shared-secret.js";
import { type EmailEvent, type Normalised, reject, type WebhookProvider } from "./types.js";

export function postmarkProvider(auth: SharedSecretAuth): WebhookProvider {
  return {
    name: "postmark",
    async receive({ headers, body, now }) {
      if (!(await checkSharedSecret(headers, auth))) {
        return reject("unauthorized", "send the Postmark webhook credentials (basic auth or token header)");
      }
      const json = parseJsonBody(body);
      if (json === undefined) return reject("invalid_json", "the body is not valid JSON");
      if (!isObj(json) || typeof json.RecordType !== "string") {
        return reject("bad_request", "a Postmark webhook is a JSON object with a RecordType");
      }
      return { ok: true, ...normalisePostmark(json, now) };
    },
  };
}

/**
 * Postmark bounce Types that mean the address will not accept mail (a hard bounce). The
 * others that are real bounces (SoftBounce, Transient, DnsError, Blocked, …) are soft;
 * the non-bounce notices below are ignored.
 */
const HARD = new Set(["HardBounce", "BadEmailAddress", "ManuallyDeactivated"]);
const NOT_A_BOUNCE = new Set([
  "AutoResponder",
  "AddressChange",
  "Subscribe",
  "ChallengeVerification",
  "OpenRelayTest",
  "InboundError",
  "TemplateRenderingFailed",
  "SMTPApiError",
  "VirusNotification",
]);

export function normalisePostmark(r: Obj, now: number): Normalised {
  const rt = String(r.RecordType);
  let type: EmailEvent["type"] | undefined;
  let bounce: "hard" | "soft" | undefined;
  let email = emailOf(r.Recipient);
  let at: number | undefined = isoMs(r.ReceivedAt);
  switch (rt) {
    case "Delivery":
      type = "delivered";
      at = isoMs(r.DeliveredAt);
      break;
    case "Open":
      type = "open";
      break;
    case "Click":
      type = "click";
      break;
    case "Bounce": {
      email = emailOf(r.Email);
      at = isoMs(r.BouncedAt);
      const t = String(r.Type);
      if (t === "SpamComplaint" || t === "SpamNotification") type = "complaint";
      else if (t === "Unsubscribe") type = "unsubscribe";
      else if (!NOT_A_BOUNCE.has(t)) {
        type = "bounce";
        bounce = HARD.has(t) ? "hard" : "soft";
      }
      break;
    }
    case "SpamComplaint":
      type = "complaint";
      email = emailOf(r.Email);
      at = isoMs(r.BouncedAt);
      break;
    case "SubscriptionChange":
      at = isoMs(r.ChangedAt);
      // SuppressSending=false is a reactivation (ignored). Suppressions caused by a hard
      // bounce or complaint arrive as their own Bounce/SpamComplaint records; counting
      // them again here would double them, so only a manual suppression is an unsubscribe.
      if (
        r.SuppressSending === true &&
        (r.SuppressionReason ?? "ManualSuppression") === "ManualSuppression"
      ) {
        type = "unsubscribe";
      }
      break;
  }
  if (!type || !email) return { events: [], ignored: 1 };
  // Delivery/Open/Click records carry no id of their own; this one is stable across retries.
  const id =
    str(r.ID) ?? `${rt}:${str(r.MessageID) ?? "?"}:${email}:${str(r.ReceivedAt) ?? str(r.ChangedAt) ?? ""}`;
  const ev = compact({
    provider: "postmark",
    type,
    email,
    at: at ?? now,
    id: rt === "Bounce" || rt === "SpamComplaint" ? `${rt}:${id}` : id,
    url: type === "click" ? urlOf(r.OriginalLink) : undefined,
    bounce,
    messageId: messageIdOf(r.MessageID),
    ...customArgs(r.Metadata),
  }) as EmailEvent;
  return { events: [ev], ignored: 0 };
}
