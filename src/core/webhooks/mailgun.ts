// Mailgun webhooks (signed).
//
// Threat model: anyone can POST to the public URL. Mailgun puts {timestamp, token,
// signature} in the body, where signature = hex HMAC-SHA256(signing key, timestamp+token).
// The HMAC proves the triple came from Mailgun, but it does NOT cover the event data: a
// captured request's signature could be reattached to forged event-data. What bounds that:
// the timestamp must be within 300 s of our clock, and each token is accepted once (a
// bounded in-memory replay cache that remembers tokens for that window). Comparison is
// constant-time. Subaccount events also carry `parent-signature`; we verify `signature`
// with the key configured for this endpoint.

import { utf8 } from "../util/encoding.js";
import { bytesEqual, isObj, num, parseJsonBody, str, toHex } from "./bytes.js";
import {
  compact,
  customArgs,
  emailOf,
  messageIdOf,
  TIMESTAMP_TOLERANCE_S,
  urlOf,
  withinWindow,
} from "./common.js";
import { type EmailEvent, type Normalised, reject, type WebhookProvider } from "./types.js";

/**
 * Tokens seen in the last window. Bounded: at the cap the oldest token is forgotten, which
 * only matters above ~65 webhooks/s sustained for 5 minutes on one process; size it up
 * if you send that much through one instance.
 */
export const MAILGUN_REPLAY_CACHE_MAX = 20_000;

export class ReplayCache {
  /** token → accepted-at (ms); Map keeps insertion order, so the first key is the oldest. */
  private readonly seen = new Map<string, number>();
  constructor(
    readonly max = MAILGUN_REPLAY_CACHE_MAX,
    readonly ttlMs = TIMESTAMP_TOLERANCE_S * 2 * 1000,
  ) {}
  get size(): number {
    return this.seen.size;
  }
  /** Reserves a token; false when it was already used (or is in flight). */
  reserve(token: string, now: number): boolean {
    this.expire(now);
    if (this.seen.has(token)) return false;
    if (this.seen.size >= this.max) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.set(token, now);
    return true;
  }
  /** Forgets a reservation whose events could not be applied, so Mailgun's retry is taken. */
  release(token: string): void {
    this.seen.delete(token);
  }
  private expire(now: number): void {
    for (const [token, at] of this.seen) {
      if (now - at <= this.ttlMs) break;
      this.seen.delete(token);
    }
  }
}

export async function mailgunSignature(
  signingKey: string,
  timestamp: string,
  token: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    utf8(signingKey),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(timestamp + token))));
}

export function mailgunProvider(opts: { signingKey: string; replay?: ReplayCache }): WebhookProvider {
  const replay = opts.replay ?? new ReplayCache();
  return {
    name: "mailgun",
    async receive({ body, now }) {
      // The signature lives inside the JSON body, so parsing comes first; nothing from
      // event-data is used before the signature checks out.
      const json = parseJsonBody(body);
      if (json === undefined) return reject("invalid_json", "the body is not valid JSON");
      const sig = isObj(json) ? json.signature : undefined;
      if (!isObj(json) || !isObj(sig)) return reject("unauthorized", "missing Mailgun signature");
      const timestamp = typeof sig.timestamp === "number" ? String(sig.timestamp) : sig.timestamp;
      const { token, signature } = sig;
      if (typeof timestamp !== "string" || typeof token !== "string" || typeof signature !== "string") {
        return reject("unauthorized", "missing Mailgun signature");
      }
      if (!/^\d{1,12}$/.test(timestamp) || !withinWindow(Number(timestamp), now)) {
        return reject("unauthorized", "the Mailgun timestamp is outside the accepted window");
      }
      if (token.length < 16 || token.length > 200) return reject("unauthorized", "bad Mailgun token");
      const expected = await mailgunSignature(opts.signingKey, timestamp, token);
      if (!bytesEqual(utf8(expected), utf8(signature.toLowerCase()))) {
        return reject("unauthorized", "the Mailgun signature does not match");
      }
      const data = json["event-data"];
      if (!isObj(data)) return reject("bad_request", "missing event-data");
      const normalised = normaliseMailgun(data, now);
      if (!replay.reserve(token, now)) {
        // A replay (or Mailgun retrying a request we already applied): acknowledged with
        // 200 so an honest retry stops, and nothing is applied twice.
        return {
          ok: true,
          events: [],
          ignored: normalised.events.length + normalised.ignored,
          note: { duplicate: true },
        };
      }
      return { ok: true, ...normalised, release: () => replay.release(token) };
    },
  };
}

export function normaliseMailgun(data: Record<string, unknown>, now: number): Normalised {
  const event = String(data.event);
  const email = emailOf(data.recipient);
  const severity = data.severity;
  const reason = str(data.reason) ?? "";
  let type: EmailEvent["type"] | undefined;
  let bounce: "hard" | "soft" | undefined;
  switch (event) {
    case "delivered":
      type = "delivered";
      break;
    case "opened":
      type = "open";
      break;
    case "clicked":
      type = "click";
      break;
    case "complained":
      type = "complaint";
      break;
    case "unsubscribed":
      type = "unsubscribe";
      break;
    case "failed":
      // Suppressed sends (address already bounced, complained or unsubscribed) were never
      // attempted: that is a drop, not a new bounce.
      if (reason.startsWith("suppress-")) type = "dropped";
      else {
        type = "bounce";
        bounce = severity === "permanent" ? "hard" : "soft";
      }
      break;
  }
  if (!type || !email) return { events: [], ignored: 1 };
  const ts = num(data.timestamp);
  const client = isObj(data["client-info"]) ? data["client-info"] : {};
  const bot = client.bot;
  const vars = isObj(data["user-variables"]) ? data["user-variables"] : {};
  const ev: EmailEvent = compact({
    provider: "mailgun",
    type,
    email,
    at: ts !== undefined ? Math.round(ts * 1000) : now,
    id: str(data.id) ?? `${event}:${ts ?? now}:${email}`,
    // Mailgun marks known machine openers/clickers in client-info.bot (a name or a flag).
    machine:
      type === "open" || type === "click"
        ? bot === true || (typeof bot === "string" && bot !== "")
        : undefined,
    url: type === "click" ? urlOf(data.url) : undefined,
    bounce,
    messageId: messageIdOf(
      isObj(data.message) && isObj(data.message.headers) ? data.message.headers["message-id"] : undefined,
    ),
    ...customArgs(vars),
  });
  return { events: [ev], ignored: 0 };
}
