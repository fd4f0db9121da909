// The normalised shape every ESP webhook becomes is the profile service's EmailEvent
// (src/core/ports/profiles.ts): `at` in Unix ms, `id` the provider's event id (the profile
// service deduplicates by provider + id, so ids here are stable across ESP retries).
import type { EmailEvent } from "../ports/profiles.js";

export type { EmailEvent };
export type EmailEventType = EmailEvent["type"];

/** Where verified, normalised events go; resolves once they are durably applied. */
export type EmailEventSink = (events: EmailEvent[]) => Promise<void>;

/** What a provider needs from the request: headers and the raw, unparsed body bytes. */
export interface WebhookRequest {
  headers: Headers;
  body: Uint8Array;
  /** Milliseconds since the epoch (the injected clock). */
  now: number;
}

/** Expected failures are values; the route maps `code` to an ApiError. */
export type WebhookRejection = {
  ok: false;
  code: "unauthorized" | "forbidden" | "bad_request" | "invalid_json" | "unavailable";
  message: string;
};

export type WebhookAccepted = {
  ok: true;
  events: EmailEvent[];
  ignored: number;
  /** Extra response fields (e.g. `duplicate`, `confirmed`). */
  note?: Record<string, unknown>;
  /** Called once the events are applied (commits a replay-cache entry). */
  commit?: () => void;
  /** Called when applying failed, so an honest retry is not taken for a replay. */
  release?: () => void;
};

export type WebhookResult = WebhookAccepted | WebhookRejection;

export interface WebhookProvider {
  readonly name: string;
  receive(req: WebhookRequest): Promise<WebhookResult>;
}

export const reject = (code: WebhookRejection["code"], message: string): WebhookRejection => ({
  ok: false,
  code,
  message,
});

/** Normalisation output: events plus how many inputs were not email events we act on. */
export interface Normalised {
  events: EmailEvent[];
  ignored: number;
}
