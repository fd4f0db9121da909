// Amazon SES event notifications, delivered through SNS (verification in sns.ts).

import { isObj, isoMs, type Obj, parseJsonBody, str } from "./bytes.js";
import { compact, customArgs, emailOf, messageIdOf, urlOf } from "./common.js";
import { parseEnvelope, SnsVerifier, type SnsVerifierOptions } from "./sns.js";
import { type EmailEvent, type Normalised, reject, type WebhookProvider } from "./types.js";

export interface SesOptions extends SnsVerifierOptions {
  /** Topic ARNs whose messages we accept; anything else is refused before any fetch. */
  topicArns: readonly string[];
}

export function sesProvider(opts: SesOptions): WebhookProvider {
  const verifier = new SnsVerifier(opts);
  const topics = new Set(opts.topicArns);
  return {
    name: "ses",
    async receive({ headers, body, now }) {
      // The signature is a field of the envelope, so the envelope is parsed first; the SES
      // message inside it is not looked at until the envelope verifies.
      const json = parseJsonBody(body);
      if (json === undefined) return reject("invalid_json", "the body is not valid JSON");
      const env = parseEnvelope(json);
      if (!env) return reject("bad_request", "not an SNS message envelope");
      const headerType = headers.get("x-amz-sns-message-type");
      if (headerType && headerType !== env.Type)
        return reject("bad_request", "x-amz-sns-message-type does not match Type");
      if (!topics.has(env.TopicArn)) return reject("forbidden", "this SNS topic is not allowed");
      const verdict = await verifier.verify(env, now);
      if (!verdict.ok) return reject("unauthorized", verdict.message);
      if (env.Type === "SubscriptionConfirmation") {
        if (!(await verifier.confirm(env)))
          return reject("unavailable", "the subscription could not be confirmed");
        return { ok: true, events: [], ignored: 0, note: { confirmed: true } };
      }
      if (env.Type === "UnsubscribeConfirmation") return { ok: true, events: [], ignored: 1 };
      const message = parseJsonBody(new TextEncoder().encode(env.Message));
      // SES sends a plain-text "Successfully validated…" test message when a topic is set up.
      if (!isObj(message)) return { ok: true, events: [], ignored: 1 };
      return { ok: true, ...normaliseSes(message, env.MessageId, now) };
    },
  };
}

const recipientsOf = (list: unknown, field = "emailAddress"): unknown[] =>
  Array.isArray(list) ? list.map((r) => (isObj(r) ? r[field] : r)) : [];

/** One SES event → one EmailEvent per affected recipient. */
export function normaliseSes(m: Obj, snsMessageId: string, now: number): Normalised {
  const kind = str(m.eventType) ?? str(m.notificationType) ?? "";
  const mail = isObj(m.mail) ? m.mail : {};
  const detail = (k: string): Obj => (isObj(m[k]) ? (m[k] as Obj) : {});
  let type: EmailEvent["type"] | undefined;
  let emails: unknown[] = [];
  let at: number | undefined;
  let bounce: "hard" | "soft" | undefined;
  let url: string | undefined;
  switch (kind) {
    case "Bounce": {
      const b = detail("bounce");
      type = "bounce";
      // Permanent: the address does not exist or refuses mail for good. Transient and
      // Undetermined may succeed later.
      bounce = b.bounceType === "Permanent" ? "hard" : "soft";
      emails = recipientsOf(b.bouncedRecipients);
      at = isoMs(b.timestamp);
      break;
    }
    case "Complaint": {
      const c = detail("complaint");
      // "not-spam" feedback is a recipient retracting a complaint.
      if (c.complaintFeedbackType !== "not-spam") type = "complaint";
      emails = recipientsOf(c.complainedRecipients);
      at = isoMs(c.timestamp);
      break;
    }
    case "Delivery":
      type = "delivered";
      emails = recipientsOf(detail("delivery").recipients, "");
      at = isoMs(detail("delivery").timestamp);
      break;
    case "Open":
      type = "open";
      at = isoMs(detail("open").timestamp);
      break;
    case "Click":
      type = "click";
      at = isoMs(detail("click").timestamp);
      url = urlOf(detail("click").link);
      break;
    case "Reject":
      type = "dropped";
      break;
    case "DeliveryDelay":
      type = "deferred";
      emails = recipientsOf(detail("deliveryDelay").delayedRecipients);
      at = isoMs(detail("deliveryDelay").timestamp);
      break;
    case "Subscription": {
      const prefs = detail("subscription").newTopicPreferences;
      if (isObj(prefs) && prefs.unsubscribeAll === true) type = "unsubscribe";
      at = isoMs(detail("subscription").timestamp);
      break;
    }
    // Send, Rendering Failure and anything newer: ignored.
  }
  if (!type) return { events: [], ignored: 1 };
  // Opens, clicks, rejects and subscriptions name no recipient of their own: the message's.
  if (emails.length === 0) emails = Array.isArray(mail.destination) ? mail.destination : [];
  const args = customArgs(isObj(mail.tags) ? mail.tags : {});
  const events: EmailEvent[] = [];
  let ignored = 0;
  emails.forEach((raw, i) => {
    const email = emailOf(raw);
    if (!email) {
      ignored++;
      return;
    }
    events.push(
      compact({
        provider: "ses",
        type: type!,
        email,
        at: at ?? isoMs(mail.timestamp) ?? now,
        // SNS re-sends the same MessageId on retry: the id is stable, one per recipient.
        id: `${snsMessageId}:${i}`,
        url,
        bounce,
        messageId: messageIdOf(mail.messageId),
        ...args,
      }),
    );
  });
  if (events.length === 0) return { events: [], ignored: Math.max(1, ignored) };
  return { events, ignored };
}
