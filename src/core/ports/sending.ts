// Ports for sending (src/core/sending): the templates flows send, every attempt to send one,
// and the channels that carry them. Adapters: src/core/testing/memory-sending-store.ts (fake)
// and src/node/sqlite/sending-store.ts; one contract suite (test/contract/sending-store.contract.ts).
import type { ChannelKind } from "./messaging.js";

/** What a template says, each part Liquid (src/core/sending/render.ts). */
export interface TemplateContent {
  name: string;
  subject?: string;
  html?: string;
  text?: string;
  /** SMS body. */
  sms?: string;
  push?: { title: string; body: string };
  /** Email sender ("Shop <hi@shop.example>"); default OPENTIME_MAIL_FROM. */
  from?: string;
  replyTo?: string;
  /** For "trigger the ESP" channels: the Klaviyo metric and the Braze campaign this template triggers. */
  esp?: { klaviyoMetric?: string; brazeCampaignId?: string };
}

/** One version of a template. Every update stores a new version; sends record the one they used. */
export interface TemplateRecord extends TemplateContent {
  id: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface TemplateStore {
  create(t: TemplateRecord): Promise<void>;
  /** The latest version, or the one asked for; null when there is none. */
  get(id: string, version?: number): Promise<TemplateRecord | null>;
  /** Latest versions, oldest template first, after the id `after` (paging). */
  list(limit: number, after?: string): Promise<TemplateRecord[]>;
  /** Stores version latest+1 with this content; null when there is no such template. */
  update(id: string, content: TemplateContent, at: number): Promise<TemplateRecord | null>;
  /** Deletes every version; false when there was none. Sends keep their rendered copy. */
  delete(id: string): Promise<boolean>;
}

/**
 * An attempt's life: `deferred` (asked too early: quiet hours, a cap; the flow asks again),
 * `skipped` (the rules said no), `queued` (durably accepted, due at `nextAt`), `sent` (a
 * provider accepted it), `dead` (a permanent failure, or transient ones past the last try:
 * the operator can retry it). There is no durable "sending": a row still `queued` after a
 * crash is sent again, with the same idempotency key (README: the duplicate window).
 */
export const SEND_STATUSES = ["deferred", "skipped", "queued", "sent", "dead"] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

/** What came back about a sent message (ESP webhooks, opentime's own opens and clicks). */
export const DELIVERY_EVENTS = ["delivered", "opened", "clicked", "bounced", "complained"] as const;
export type DeliveryEvent = (typeof DELIVERY_EVENTS)[number];

/** The message as handed to a channel: rendered, wrapped, addressed. Kept until it is sent. */
export interface OutboundMessage {
  /** The attempt id: carried to the provider as metadata (custom args, v: variables, Metadata). */
  sendId: string;
  /** The request's idempotency key: carried where the provider's API takes one. */
  key: string;
  channel: ChannelKind;
  to: {
    profileId: string;
    email?: string;
    phone?: string;
    userId?: string;
    /** What opentime's links carry in `u` for this person. */
    u: string;
  };
  campaign: string;
  template: { id: string; version: number; name: string };
  from?: string;
  replyTo?: string;
  subject?: string;
  html?: string;
  text?: string;
  sms?: string;
  push?: { title: string; body: string };
  esp?: TemplateContent["esp"];
  /** Email: the one-click unsubscribe URL (List-Unsubscribe headers; `opentime.unsubscribe_url` in Liquid). */
  unsubscribeUrl?: string;
  /** The request's data (the trigger's event, the flow's data), for trigger-the-ESP channels. */
  data: Readonly<Record<string, unknown>>;
}

export interface SendRecord {
  id: string;
  key: string;
  profileId: string;
  /** The person as the request named them. */
  person: string;
  status: SendStatus;
  /** Why it was deferred, skipped or dead; the last transient error while queued. */
  reason: string | null;
  /** The channel chosen (null until one is). */
  channel: ChannelKind | null;
  /** The adapter that carries it ("smtp", "sendgrid", …). */
  provider: string | null;
  providerId: string | null;
  /** What `u` holds in the message's links (joins opentime's opens and clicks back). */
  u: string | null;
  template: string;
  templateVersion: number | null;
  campaign: string;
  flowId: string;
  stepId: string;
  runId: string;
  priority: number;
  deadline: number | null;
  /** The request's channels and data, so a dead letter can be rendered again on retry. */
  request: {
    channels: readonly ChannelKind[] | "auto";
    data: Readonly<Record<string, unknown>>;
    flowVersion: number;
  };
  /** Null once sent (the rendered copy is not kept past its use). */
  message: OutboundMessage | null;
  tries: number;
  /** queued: when to try next; deferred: the `until` the flow was given. */
  nextAt: number | null;
  createdAt: number;
  /** When it took its place under the caps (queued); null before. */
  acceptedAt: number | null;
  sentAt: number | null;
  updatedAt: number;
  events: Partial<Record<DeliveryEvent, number>>;
}

/** Fields an update may set (one attempt's next state). */
export type SendChanges = Partial<Omit<SendRecord, "id" | "key" | "createdAt">>;

/** A write to the log; `erase` deletes every attempt of a profile (erasure). */
export type SendWrite = { insert: SendRecord } | { update: string; set: SendChanges } | { erase: string };

export interface SendLog {
  /** Applies writes in order, all in one transaction. An insert whose key exists is an error. */
  write(batch: readonly SendWrite[]): Promise<void>;
  get(id: string): Promise<SendRecord | null>;
  byKey(key: string): Promise<SendRecord | null>;
  /** The attempt a provider knows by this message id (whichever relay carried it). */
  byProviderId(providerId: string): Promise<SendRecord | null>;
  /** The latest sent attempt of a campaign whose links carry this `u`. */
  byRecipient(campaign: string, u: string): Promise<SendRecord | null>;
  /** A person's attempts created at or after `since`, newest first. */
  ofPerson(
    profileId: string,
    opts: { since?: number; limit: number; before?: number },
  ): Promise<SendRecord[]>;
  /** Queued attempts due by `now`: highest priority first, then soonest. */
  due(now: number, limit: number): Promise<SendRecord[]>;
  /** Dead letters, newest first; `before` pages by updatedAt. */
  dead(limit: number, before?: number): Promise<SendRecord[]>;
  /** How many attempts are in each status. */
  countByStatus(): Promise<Record<SendStatus, number>>;
}

export interface SendingStore {
  templates: TemplateStore;
  sends: SendLog;
  /** Stops what the adapter runs beside the store (a writer thread); the store is closed by its owner. */
  close?(): Promise<void>;
}

/** A channel's answer. Permanent failures go to dead letter; transient ones are retried. */
export type ChannelResult =
  | { ok: true; providerId: string | null }
  | { ok: false; permanent: boolean; reason: string; retryAfterMs?: number };

/** A way out: an SMTP relay, an ESP's API, a signed webhook. */
export interface Channel {
  /** "smtp", "sendgrid", "postmark", "mailgun", "klaviyo", "braze", "webhook". */
  readonly provider: string;
  send(m: OutboundMessage): Promise<ChannelResult>;
  close?(): Promise<void>;
}
