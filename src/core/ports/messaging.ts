// The seam between flows and sending. Flows (src/core/flows) decide that a person should
// get a message now; sending (src/core/sending) decides whether, when and how it goes:
// consent, suppression, frequency caps, quiet hours, channel, template, provider. Flows own
// runs and timers; sending owns templates and every attempt. Neither imports the other.

/** Every channel a message can go out on: one owner, derived everywhere else. */
export const CHANNELS = ["email", "sms", "push", "webhook"] as const;
export type ChannelKind = (typeof CHANNELS)[number];

export interface SendRequest {
  /**
   * Idempotency key, one per run and step (`<runId>:<stepId>`): sending keeps it with the
   * attempt and carries it to the provider where its API takes one, so a repeat of the same
   * request (a retry, a crash and restart) never sends twice.
   */
  key: string;
  /** The person: a profile id, or an identity the profile API resolves (an email). */
  person: string;
  /** Template id (`/v1/templates`). */
  template: string;
  /** Channels in order of preference; "auto": the one this person answers, among those consented. */
  channels: readonly ChannelKind[] | "auto";
  /** 0–100: when two messages want the same slot under a cap, the higher one goes. */
  priority: number;
  /** Unix ms. A message delayed (quiet hours, caps) past this is skipped instead of sent. */
  deadline?: number;
  /** What the template reads besides the person: the trigger's event, the flow's data. */
  data: Readonly<Record<string, unknown>>;
  /** Who asked, for attribution, per-flow caps and stats. */
  source: { flowId: string; flowVersion: number; runId: string; stepId: string };
  /** The campaign the email's opentime links and pixel carry (flow and step). */
  campaign: string;
}

export type SendOutcome =
  /** Durably accepted: sent now, or retried by sending until it goes or is dead-lettered. */
  | { status: "accepted"; attemptId: string; channel: ChannelKind }
  /** Not now: ask again at `until` with the same request (quiet hours, a cap's window). */
  | { status: "deferred"; until: number; reason: "quiet_hours" | "frequency_cap" }
  /** Will not be sent, and that is the rule working, not a fault. */
  | {
      status: "skipped";
      reason: "suppressed" | "no_consent" | "frequency_cap" | "deadline_passed" | "no_channel";
    }
  /** Cannot be sent (a template that does not render, a permanent provider refusal): dead letter. */
  | { status: "failed"; reason: string };

export interface Messenger {
  /** Decides and, when it may go, hands the message to a channel; the same `key` never sends twice. */
  send(req: SendRequest): Promise<SendOutcome>;
  /**
   * Send-time choice: the first instant at or after `after` (Unix ms) that falls in this
   * person's most likely hour to open or click, in their zone.
   */
  bestTime(person: string, after: number): Promise<number>;
}
