import { z } from "zod";
import { CHANNELS, type ChannelKind } from "../ports/messaging.js";

/** Every adapter a channel can be routed to (OPENTIME_SEND_*_VIA); the default order of choice. */
export const SEND_PROVIDERS = [
  "smtp",
  "sendgrid",
  "postmark",
  "mailgun",
  "klaviyo",
  "braze",
  "webhook",
] as const;
export type SendProvider = (typeof SEND_PROVIDERS)[number];
/** Providers that carry email only; the others (trigger-the-ESP, webhook) carry any channel. */
export const EMAIL_ONLY: ReadonlySet<SendProvider> = new Set(["smtp", "sendgrid", "postmark", "mailgun"]);

/** Sends a person may get in each rolling window; absent: no limit for that window. */
export interface CapWindows {
  hour?: number;
  day?: number;
  week?: number;
}

export const CAP_WINDOW_MS = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;
export type CapWindow = keyof typeof CAP_WINDOW_MS;

export interface SendingSettings {
  /** Per person per channel, all flows together. */
  caps: Record<ChannelKind, CapWindows>;
  /** Per person per channel per flow, for every flow not listed in `byFlow`. */
  flowCaps: Record<ChannelKind, CapWindows>;
  /** Per-flow overrides of `flowCaps`, by flow id. */
  byFlow: ReadonlyMap<string, Partial<Record<ChannelKind, CapWindows>>>;
  /** Local quiet hours, minutes after midnight [start, end) (may wrap past midnight); null: none. */
  quietHours: { start: number; end: number } | null;
  quietChannels: readonly ChannelKind[];
  /** Channels that need the person's recorded consent (the others need only its absence of a refusal). */
  optIn: readonly ChannelKind[];
  /** The zone of people whose profile has no valid traits.timezone. */
  defaultZone: string;
  /** Local hour to send to people with no open/click history (the population default). */
  defaultHour: number;
  /** Attempts before a transient failure becomes a dead letter. */
  maxTries: number;
  /** First retry delay; doubles per try up to retryMaxMs, with jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
}

/** Defaults (README: Sending). Email: at most 1 an hour, 3 a day, 10 a week; each flow 2 a day. */
export const DEFAULT_SENDING: SendingSettings = {
  caps: {
    email: { hour: 1, day: 3, week: 10 },
    sms: { hour: 1, day: 1, week: 3 },
    push: { hour: 2, day: 4, week: 12 },
    webhook: {},
  },
  flowCaps: {
    email: { day: 2 },
    sms: { day: 1 },
    push: { day: 2 },
    webhook: {},
  },
  byFlow: new Map(),
  quietHours: { start: 21 * 60, end: 8 * 60 },
  quietChannels: ["email", "sms", "push"],
  optIn: ["sms", "push"],
  defaultZone: "UTC",
  defaultHour: 10,
  maxTries: 8,
  retryBaseMs: 30_000,
  retryMaxMs: 3_600_000,
};

const windows = z
  .object({
    hour: z.number().int().min(0).max(1_000_000).optional(),
    day: z.number().int().min(0).max(1_000_000).optional(),
    week: z.number().int().min(0).max(1_000_000).optional(),
  })
  .strict();
const perChannel = z
  .object({
    email: windows.optional(),
    sms: windows.optional(),
    push: windows.optional(),
    webhook: windows.optional(),
  } satisfies Record<ChannelKind, unknown>)
  .strict();

/**
 * OPENTIME_SEND_CAPS: JSON overriding the defaults, e.g.
 * {"email":{"day":2},"perFlow":{"email":{"day":1}},"flows":{"newsletter":{"email":{"week":1}}}}.
 */
export const capsSchema = z
  .string()
  .max(64 * 1024)
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON" });
      return z.NEVER;
    }
  })
  .pipe(
    perChannel
      .extend({
        perFlow: perChannel.optional(),
        flows: z.record(z.string().min(1).max(200), perChannel).optional(),
      })
      .strict(),
  );
export type CapsInput = z.infer<typeof capsSchema>;

/** "21:00-08:00" or "21-8" → minutes; "" or "off" → null. */
export const quietHoursSchema = z
  .string()
  .max(20)
  .refine(
    (v) => v === "off" || parseQuietHours(v) !== undefined,
    'use "HH:MM-HH:MM" (e.g. 21:00-08:00) or "off"',
  )
  .transform((v) => (v === "off" ? null : parseQuietHours(v)!));

export function parseQuietHours(v: string): { start: number; end: number } | undefined {
  const m = /^(\d{1,2})(?::(\d{2}))?-(\d{1,2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m) return undefined;
  const start = Number(m[1]) * 60 + Number(m[2] ?? 0);
  const end = Number(m[3]) * 60 + Number(m[4] ?? 0);
  if (start >= 24 * 60 || end > 24 * 60 || start === end) return undefined;
  return { start, end };
}

/** The defaults with OPENTIME_SEND_CAPS laid over them, window by window. */
export function capsFrom(
  input: CapsInput | undefined,
): Pick<SendingSettings, "caps" | "flowCaps" | "byFlow"> {
  const merge = (
    base: Record<ChannelKind, CapWindows>,
    over: Partial<Record<ChannelKind, CapWindows>> = {},
  ) =>
    Object.fromEntries(CHANNELS.map((c) => [c, { ...base[c], ...over[c] }])) as Record<
      ChannelKind,
      CapWindows
    >;
  const { perFlow, flows, ...global } = input ?? {};
  return {
    caps: merge(DEFAULT_SENDING.caps, global),
    flowCaps: merge(DEFAULT_SENDING.flowCaps, perFlow),
    byFlow: new Map(Object.entries(flows ?? {})),
  };
}

/**
 * Which provider carries each channel: the one named by OPENTIME_SEND_<CHANNEL>_VIA, else
 * for email the first configured in SEND_PROVIDERS order (not the webhook), for SMS and
 * push the webhook; the webhook channel is always the webhook. Unrouted channels are unusable.
 */
export function routeChannels(
  configured: ReadonlySet<SendProvider>,
  via: Partial<Record<ChannelKind, SendProvider>>,
): Map<ChannelKind, SendProvider> {
  const out = new Map<ChannelKind, SendProvider>();
  const email = via.email ?? SEND_PROVIDERS.find((p) => p !== "webhook" && configured.has(p));
  if (email) out.set("email", email);
  for (const c of ["sms", "push"] as const) {
    const p = via[c] ?? (configured.has("webhook") ? "webhook" : undefined);
    if (p) out.set(c, p);
  }
  if (configured.has("webhook")) out.set("webhook", "webhook");
  return out;
}
