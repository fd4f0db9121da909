// SendGrid Event Webhook (signed).
//
// Threat model: anyone can POST to the public URL. SendGrid signs `timestamp + raw body`
// with ECDSA P-256/SHA-256; only SendGrid holds the private key, so a valid signature
// proves origin and integrity (any byte changed, including re-serialised JSON, fails).
// SendGrid documents no replay window; we refuse timestamps more than 300 s from our
// clock, which bounds replay of a captured request to that window, and the events carry
// sg_event_id so a replay inside it is recognisable downstream.

import { table } from "../util/dict.js";
import { utf8 } from "../util/encoding.js";
import { concatBytes, fromBase64, isObj, num, parseJsonBody, str } from "./bytes.js";
import {
  compact,
  customArgs,
  emailOf,
  MAX_EVENTS_PER_POST,
  messageIdOf,
  urlOf,
  withinWindow,
} from "./common.js";
import { ecdsaDerToRaw } from "./der.js";
import { type EmailEvent, type Normalised, reject, type WebhookProvider } from "./types.js";

export const SENDGRID_SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature";
export const SENDGRID_TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp";

/** The verification key as SendGrid shows it: base64 SPKI DER, PEM framing tolerated. */
export function importSendgridKey(publicKey: string): Promise<CryptoKey> {
  const b64 = publicKey.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "");
  const der = fromBase64(b64);
  if (!der) return Promise.reject(new Error("the SendGrid public key is not base64"));
  return crypto.subtle.importKey("spki", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
}

export async function verifySendgrid(
  key: CryptoKey,
  body: Uint8Array,
  timestamp: string,
  signatureB64: string,
): Promise<boolean> {
  const der = fromBase64(signatureB64);
  const raw = der && ecdsaDerToRaw(der, 32);
  if (!raw) return false;
  return crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    raw,
    concatBytes(utf8(timestamp), body),
  );
}

export function sendgridProvider(opts: { publicKey: string }): WebhookProvider {
  let key: Promise<CryptoKey> | null = null;
  return {
    name: "sendgrid",
    async receive({ headers, body, now }) {
      const signature = headers.get(SENDGRID_SIGNATURE_HEADER);
      const timestamp = headers.get(SENDGRID_TIMESTAMP_HEADER);
      if (!signature || !timestamp) return reject("unauthorized", "missing SendGrid signature headers");
      if (!/^\d{1,12}$/.test(timestamp) || !withinWindow(Number(timestamp), now)) {
        return reject("unauthorized", "the SendGrid timestamp is outside the accepted window");
      }
      key ??= importSendgridKey(opts.publicKey);
      let k: CryptoKey;
      try {
        k = await key;
      } catch {
        key = null;
        return reject("unavailable", "the configured SendGrid public key cannot be used");
      }
      if (!(await verifySendgrid(k, body, timestamp, signature))) {
        return reject("unauthorized", "the SendGrid signature does not match");
      }
      const json = parseJsonBody(body);
      if (json === undefined) return reject("invalid_json", "the body is not valid JSON");
      if (!Array.isArray(json)) return reject("bad_request", "SendGrid posts a JSON array of events");
      if (json.length > MAX_EVENTS_PER_POST) return reject("bad_request", "too many events in one POST");
      return { ok: true, ...normaliseSendgrid(json, now) };
    },
  };
}

/** SendGrid event name → what it means for a profile; absent names are ignored. */
const TYPES = table<EmailEvent["type"]>({
  delivered: "delivered",
  open: "open",
  click: "click",
  bounce: "bounce",
  blocked: "bounce",
  spamreport: "complaint",
  unsubscribe: "unsubscribe",
  group_unsubscribe: "unsubscribe",
  deferred: "deferred",
  dropped: "dropped",
  // processed, group_resubscribe and account status events are ignored.
});

export function normaliseSendgrid(items: unknown[], now: number): Normalised {
  const events: EmailEvent[] = [];
  let ignored = 0;
  items.forEach((item, i) => {
    const type = isObj(item) ? TYPES[String(item.event)] : undefined;
    const email = isObj(item) ? emailOf(item.email) : undefined;
    if (!isObj(item) || !type || !email) {
      ignored++;
      return;
    }
    const ts = num(item.timestamp);
    const id =
      str(item.sg_event_id) ?? `${str(item.sg_message_id) ?? "?"}:${String(item.event)}:${ts ?? i}:${email}`;
    // Custom args come back as top-level keys; `unique_args` is the legacy v2 spelling.
    const args = { ...(isObj(item.unique_args) ? item.unique_args : {}), ...item };
    events.push(
      compact({
        provider: "sendgrid",
        type,
        email,
        at: ts !== undefined ? Math.round(ts * 1000) : now,
        id,
        machine: type === "open" ? item.sg_machine_open === true : undefined,
        url: type === "click" ? urlOf(item.url) : undefined,
        // `type: "blocked"` (or the separate blocked event) is a temporary refusal by the
        // receiving server; `type: "bounce"` is a permanent one.
        bounce:
          type === "bounce"
            ? item.type === "blocked" || item.event === "blocked"
              ? "soft"
              : "hard"
            : undefined,
        // sg_message_id is "<X-Message-Id>.filter…": the send's answer is the part before the dot.
        messageId: messageIdOf(str(item.sg_message_id)?.split(".")[0]),
        ...customArgs(args),
      }),
    );
  });
  return { events, ignored };
}
