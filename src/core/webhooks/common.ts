// Pieces every provider shares: the timestamp window, recipient-id and campaign lookup in
// custom args, and a bound on how many events one POST may carry.
import { isObj, type Obj, str } from "./bytes.js";

/**
 * Signed timestamps older or newer than this are refused: a captured request can only be
 * replayed inside the window (and Mailgun tokens are remembered for that long).
 */
export const TIMESTAMP_TOLERANCE_S = 300;

/** Events per POST; SendGrid batches up to ~1,000, Mailgun/Postmark send one. */
export const MAX_EVENTS_PER_POST = 5_000;

export function withinWindow(timestampS: number, now: number, toleranceS = TIMESTAMP_TOLERANCE_S): boolean {
  return Number.isFinite(timestampS) && Math.abs(now - timestampS * 1000) <= toleranceS * 1000;
}

/**
 * Keys under which senders put opentime's recipient id into an ESP's custom args
 * (SendGrid custom_args, Mailgun v: variables, Postmark Metadata, SES tags).
 */
const RECIPIENT_KEYS = ["rid", "recipient_id", "recipientId", "opentime_rid"] as const;
const CAMPAIGN_KEYS = ["campaign", "campaign_id", "campaignId", "opentime_campaign"] as const;

/** Ids and campaigns end up in keys and URLs: bounded, printable, no control characters. */
function clean(v: unknown): string | undefined {
  const first = Array.isArray(v) ? v[0] : v; // SES tags are string arrays
  const s = str(first);
  if (!s) return undefined;
  const t = s
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim()
    .slice(0, 200);
  return t || undefined;
}

export function customArgs(source: unknown): { recipientId?: string; campaign?: string; sendId?: string } {
  if (!isObj(source)) return {};
  const out: { recipientId?: string; campaign?: string; sendId?: string } = {};
  // The attempt id opentime's own sends put in every provider's metadata.
  const sendId = clean((source as Obj).opentime_send);
  if (sendId) out.sendId = sendId;
  for (const k of RECIPIENT_KEYS) {
    const v = clean((source as Obj)[k]);
    if (v) {
      out.recipientId = v;
      break;
    }
  }
  for (const k of CAMPAIGN_KEYS) {
    const v = clean((source as Obj)[k]);
    if (v) {
      out.campaign = v;
      break;
    }
  }
  return out;
}

/** A plausible email address (ESPs send one; we only bound and lower-case it). */
export function emailOf(v: unknown): string | undefined {
  const s = str(v)?.trim();
  if (!s || s.length > 320 || !s.includes("@") || /[\s<>]/.test(s)) return undefined;
  return s.toLowerCase();
}

/** Only http(s) URLs are kept from click events; anything else is dropped. */
export function urlOf(v: unknown): string | undefined {
  const s = str(v);
  if (!s || s.length > 4096 || !/^https?:\/\//i.test(s)) return undefined;
  return s;
}

/** Drops undefined optional fields so events compare and serialise cleanly. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** A provider's message id, bounded, without the angle brackets of a Message-ID header. */
export function messageIdOf(v: unknown): string | undefined {
  const s = str(v)?.trim().replace(/^<|>$/g, "");
  return s && s.length <= 300 && !/[\s\u0000-\u001f]/.test(s) ? s : undefined;
}
