/**
 * One inbound Segment event, checked by hand rather than with zod: this runs for every
 * event of every batch (tens of thousands a second) and the checks are shallow, so a
 * few typeof tests beat building a schema parse per event. Field names per the Segment
 * spec (its common fields, track, identify, page, screen, group, alias); unknown top-level
 * fields (`_metadata`, `channel`, …) are kept.
 */
export const SEGMENT_TYPES = ["track", "identify", "page", "screen", "group", "alias"] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export interface IngestEvent {
  type: SegmentType;
  messageId: string;
  userId: string | null;
  anonymousId: string | null;
  previousId: string | null;
  groupId: string | null;
  /** Track: the event name; page/screen: the page name. */
  event: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  /** Clock-skew corrected time of the event (Unix ms). */
  timestamp: number;
  receivedAt: number;
  /** The event as stored and exported (normalised JSON, no write key). */
  body: string;
}

export interface EventError {
  code: "validation_failed" | "event_too_large" | "nesting_too_deep" | "timestamp_out_of_range";
  message: string;
}

export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/**
 * Objects and arrays nested inside one event (the event itself is level 1). Real events
 * nest a few levels; a few thousand levels fit in 8 KB and overflow the stack of every
 * recursive walk after parsing (structured clone to the writer thread, JSON.stringify),
 * which failed the whole batch on every retry.
 */
export const MAX_EVENT_DEPTH = 32;
// Corrected timestamps outside this window are client bugs (a zero epoch, a year typo),
// not history worth keeping: reject them rather than let them skew decay and sessions.
export const MAX_PAST_MS = 2 * 365 * 24 * 3_600_000;
export const MAX_FUTURE_MS = 24 * 3_600_000;
const MAX_ID = 256;
const MAX_NAME = 200;

const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** UTF-8 length without allocating (the limits are in bytes, the strings are UTF-16). */
export function byteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

function parseTime(v: unknown, field: string): number | null | EventError {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string" || !ISO_RE.test(v)) {
    return { code: "validation_failed", message: `${field} must be an ISO-8601 date string` };
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? { code: "validation_failed", message: `${field} is not a valid date` } : t;
}

function parseId(v: unknown, field: string): string | null | EventError {
  if (v === undefined || v === null || v === "") return null;
  // Segment libraries send numbers as they are; the id is the same person either way.
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v !== "string") return { code: "validation_failed", message: `${field} must be a string` };
  const s = v.trim();
  if (s.length > MAX_ID) return { code: "validation_failed", message: `${field} is longer than ${MAX_ID}` };
  return s || null;
}

/** Whether `root` nests objects or arrays deeper than `max` levels (iterative: no recursion to overflow). */
export function nestedDeeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

const isError = (v: unknown): v is EventError => isObject(v) && "code" in v && "message" in v;

export interface ParseOptions {
  /** Set by the single-event routes (/v1/track …); batch elements carry their own. */
  type?: SegmentType;
  receivedAt: number;
  /** `sentAt` of the enclosing batch, used when the event has none. */
  batchSentAt?: unknown;
  newId: () => string;
}

export function parseEvent(raw: unknown, opts: ParseOptions): IngestEvent | EventError {
  if (!isObject(raw)) return { code: "validation_failed", message: "an event must be a JSON object" };
  if (nestedDeeperThan(raw, MAX_EVENT_DEPTH)) {
    return {
      code: "nesting_too_deep",
      message: `the event nests objects or arrays deeper than ${MAX_EVENT_DEPTH} levels`,
    };
  }
  const type = opts.type ?? raw.type;
  if (typeof type !== "string" || !(SEGMENT_TYPES as readonly string[]).includes(type)) {
    return {
      code: "validation_failed",
      message: `type must be one of ${SEGMENT_TYPES.join(", ")}${typeof type === "string" ? ` (got "${type.slice(0, 40)}")` : ""}`,
    };
  }
  const t = type as SegmentType;
  const userId = parseId(raw.userId, "userId");
  const anonymousId = parseId(raw.anonymousId, "anonymousId");
  const previousId = parseId(raw.previousId, "previousId");
  const groupId = parseId(raw.groupId, "groupId");
  for (const v of [userId, anonymousId, previousId, groupId]) if (isError(v)) return v;
  if (t === "alias") {
    if (!userId || !previousId)
      return { code: "validation_failed", message: "alias needs userId and previousId" };
  } else if (!userId && !anonymousId) {
    return { code: "validation_failed", message: "userId or anonymousId is required" };
  }
  if (t === "group" && !groupId) return { code: "validation_failed", message: "group needs groupId" };

  let name: string | null = null;
  const rawName = t === "track" ? raw.event : raw.name;
  if (t === "track" && (typeof rawName !== "string" || !rawName.trim())) {
    return { code: "validation_failed", message: 'track needs event (e.g. "Order Completed")' };
  }
  if (rawName !== undefined && rawName !== null) {
    if (typeof rawName !== "string") {
      return { code: "validation_failed", message: `${t === "track" ? "event" : "name"} must be a string` };
    }
    if (rawName.length > MAX_NAME) {
      return {
        code: "validation_failed",
        message: `${t === "track" ? "event" : "name"} is longer than ${MAX_NAME}`,
      };
    }
    name = rawName.trim() || null;
  }
  for (const f of ["properties", "traits", "context", "integrations"] as const) {
    if (raw[f] !== undefined && raw[f] !== null && !isObject(raw[f])) {
      return { code: "validation_failed", message: `${f} must be an object` };
    }
  }
  let messageId = raw.messageId;
  if (messageId === undefined || messageId === null || messageId === "") messageId = opts.newId();
  if (typeof messageId !== "string" || messageId.length > MAX_ID) {
    return { code: "validation_failed", message: `messageId must be a string of at most ${MAX_ID}` };
  }

  // Clock skew (Segment spec/common.md): timestamp = receivedAt − (sentAt − originalTimestamp).
  const original = parseTime(raw.timestamp ?? raw.originalTimestamp, "timestamp");
  const sentAt = parseTime(raw.sentAt ?? opts.batchSentAt, "sentAt");
  if (isError(original)) return original;
  if (isError(sentAt)) return sentAt;
  const receivedAt = opts.receivedAt;
  const timestamp =
    original === null ? receivedAt : sentAt === null ? original : receivedAt - (sentAt - original);
  if (timestamp > receivedAt + MAX_FUTURE_MS || timestamp < receivedAt - MAX_PAST_MS) {
    return {
      code: "timestamp_out_of_range",
      message: `timestamp ${new Date(timestamp).toISOString()} is more than ${timestamp > receivedAt ? "1 day in the future" : "2 years in the past"} (after clock-skew correction)`,
    };
  }

  // The parsed body is ours: normalise it in place rather than copying (hot path).
  delete raw.writeKey; // never store the write key
  raw.type = t;
  raw.messageId = messageId;
  raw.timestamp = new Date(timestamp).toISOString();
  if (original !== null) raw.originalTimestamp = new Date(original).toISOString();
  if (sentAt !== null) raw.sentAt = new Date(sentAt).toISOString();
  raw.receivedAt = new Date(receivedAt).toISOString();
  const body = JSON.stringify(raw);
  // The limit is on the event as stored; the four time fields opentime adds are allowed for.
  // UTF-8 is at most 3 bytes per UTF-16 unit: short bodies need no exact count.
  if (body.length * 3 > MAX_EVENT_BYTES && byteLength(body) > MAX_EVENT_BYTES + 256) {
    return { code: "event_too_large", message: `the event is larger than ${MAX_EVENT_BYTES / 1024} KB` };
  }
  return {
    type: t,
    messageId,
    userId: userId as string | null,
    anonymousId: anonymousId as string | null,
    previousId: previousId as string | null,
    groupId: groupId as string | null,
    event: name,
    ...bagsOf(raw),
    timestamp,
    receivedAt,
    body,
  };
}

/** The event's property, trait and context objects (traits may come in context.traits). */
function bagsOf(raw: Record<string, unknown>): Pick<IngestEvent, "properties" | "traits" | "context"> {
  const context = isObject(raw.context) ? raw.context : {};
  return {
    properties: isObject(raw.properties) ? raw.properties : {},
    traits: isObject(raw.traits) ? raw.traits : isObject(context.traits) ? context.traits : {},
    context,
  };
}

/** What a profile reads of an event (src/core/profiles/apply.ts). */
export type SegmentFacts = Pick<
  IngestEvent,
  "type" | "event" | "groupId" | "properties" | "traits" | "timestamp"
>;

/**
 * An accepted event's facts again, from its stored body (as parseEvent normalised it) and
 * its time: the same values parseEvent gave the profile when the event arrived, so a profile
 * rebuilt from its stored events equals one built as they came. Null for a body that is not
 * a stored Segment event.
 */
export function storedFacts(body: string, at: number): SegmentFacts | null {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isObject(raw) || !(SEGMENT_TYPES as readonly unknown[]).includes(raw.type)) return null;
  const type = raw.type as SegmentType;
  const rawName = type === "track" ? raw.event : raw.name;
  const groupId = parseId(raw.groupId, "groupId");
  return {
    type,
    event: typeof rawName === "string" ? rawName.trim() || null : null,
    groupId: isError(groupId) ? null : groupId,
    ...bagsOf(raw),
    timestamp: at,
  };
}

export const isEventError = isError;
