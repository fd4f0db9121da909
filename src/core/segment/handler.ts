import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-env.js";
import { readBodyText } from "../http/content-encoding.js";
import { ApiError } from "../http/errors.js";
import type { Logger } from "../ports/index.js";
import type { CouponStore } from "../ports/live.js";
import { base64url, timingSafeEqual } from "../util/encoding.js";
import { type EventError, type IngestEvent, MAX_EVENT_BYTES, parseEvent, type SegmentType } from "./event.js";

/**
 * What the Segment-compatible routes share: write-key auth (Basic `writeKey:` or a
 * `writeKey` in the body, as Segment accepts), body parsing, and the acknowledgement
 * rule — the 200 is sent only after the group commit holding the events is durable.
 */

/** The Segment ingestion paths: they use write keys, never the operator bearer key. */
export const INGESTION_PATHS: ReadonlySet<string> = new Set(
  ["track", "identify", "page", "screen", "group", "alias", "batch"].map((p) => `/v1/${p}`),
);

export const isIngestionPath = (path: string) => INGESTION_PATHS.has(path);

/** Segment answers an oversize request with 400 (its clients do not retry a 400). */
export function segmentBodyLimit(maxSize: number, what: string): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("bad_request", `the ${what} is larger than ${maxSize / 1024} KB`, {
        reason: what === "batch" ? "batch_too_large" : "event_too_large",
      });
    },
  });
}

/**
 * The body as a JSON object. `maxBytes` bounds a compressed body once inflated (the route's
 * body limit has bounded the bytes on the wire already).
 */
export async function readSegmentBody(c: Context<AppEnv>, maxBytes: number): Promise<unknown> {
  // No content-type check: analytics.js sends text/plain to avoid CORS preflights.
  const text = await readBodyText(c.req.raw, maxBytes);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError("invalid_json", "the body is not valid JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ApiError("validation_failed", "the body must be a JSON object");
  }
  return raw;
}

function basicUser(header: string | undefined): string | null {
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? "");
  if (!m) return null;
  try {
    const decoded = atob(m[1]!.replace(/-/g, "+").replace(/_/g, "/"));
    const i = decoded.indexOf(":");
    return i < 0 ? decoded : decoded.slice(0, i);
  } catch {
    return null;
  }
}

/** Throws 401 unless the request carries one of the configured write keys. */
export function requireWriteKey(c: Context<AppEnv>, body: unknown): void {
  const keys = c.get("services").writeKeys ?? [];
  if (!keys.length) {
    throw new ApiError("unauthorized", "ingestion is disabled: set OPENTIME_WRITE_KEY");
  }
  const fromBody = (body as { writeKey?: unknown }).writeKey;
  const given = basicUser(c.req.header("authorization")) ?? (typeof fromBody === "string" ? fromBody : null);
  // Every key is compared (no early exit), so timing says nothing about which one matched.
  let ok = false;
  if (given) for (const k of keys) ok = timingSafeEqual(given, k) || ok;
  if (!ok)
    throw new ApiError(
      "unauthorized",
      "send Authorization: Basic base64(<write key>:) or a writeKey in the body",
    );
}

export function newMessageId(c: Context<AppEnv>): () => string {
  const { random } = c.get("services");
  return () => `ot-${base64url(random(16))}`;
}

export function toApiError(e: EventError): ApiError {
  return e.code === "validation_failed"
    ? new ApiError("validation_failed", e.message)
    : new ApiError("bad_request", e.message, { reason: e.code });
}

export async function ingest(c: Context<AppEnv>, events: IngestEvent[]) {
  const { profiles, coupons, logger } = c.get("services");
  if (!profiles) throw new ApiError("unavailable", "profiles are not configured on this server");
  const res = await profiles.ingest(events);
  if (coupons) await redeemCoupons(coupons, events, logger);
  return res;
}

/** An Order Completed carrying a `coupon` marks that code redeemed (once stored, never before). */
async function redeemCoupons(coupons: CouponStore, events: IngestEvent[], logger: Logger): Promise<void> {
  for (const e of events) {
    if (e.type !== "track" || e.event !== "Order Completed") continue;
    const code = e.properties.coupon;
    if (typeof code !== "string" || code.length === 0 || code.length > 64) continue;
    try {
      await coupons.redeem(code, e.timestamp);
    } catch (err) {
      logger.error({ err }, "coupon redemption not recorded");
    }
  }
}

/** POST /v1/<type>: one event, the type given by the path. */
export function registerSingle(app: import("../app-env.js").App, type: Exclude<SegmentType, never>): void {
  app.post(`/v1/${type}`, segmentBodyLimit(MAX_EVENT_BYTES, "event"), async (c) => {
    const body = await readSegmentBody(c, MAX_EVENT_BYTES);
    requireWriteKey(c, body);
    const ev = parseEvent(body, { type, receivedAt: c.get("services").clock.now(), newId: newMessageId(c) });
    if ("code" in ev) throw toApiError(ev);
    await ingest(c, [ev]);
    return c.json({ success: true });
  });
}
