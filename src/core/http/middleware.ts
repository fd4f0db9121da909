import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import { timingSafeEqual } from "../util/encoding.js";
import { ApiError } from "./errors.js";

/** Bearer-key check for every operator route. */
export function requireApiKey(): MiddlewareHandler<AppEnv> {
  return async function requireApiKey(c, next) {
    const key = c.get("services").config.OPENTIME_API_KEY;
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !timingSafeEqual(m[1]!.trim(), key)) {
      throw new ApiError("unauthorized", "send Authorization: Bearer <OPENTIME_API_KEY>");
    }
    await next();
  };
}

/**
 * Counts and times every request by its route pattern (never the raw path: ids would
 * make the label set unbounded).
 */
export function measure(): MiddlewareHandler<AppEnv> {
  return async function measure(c, next) {
    const started = performance.now();
    await next();
    const route = c.req.routePath || "unmatched";
    const { metrics } = c.get("services");
    metrics.requests.inc({ route, method: c.req.method, status: String(c.res.status) });
    metrics.latency.observe({ route }, (performance.now() - started) / 1000);
  };
}

/**
 * A request header on the recipient-facing hot path. Through the adapter's reader where
 * there is one: on Node, `c.req.header()` first builds a Web Headers object from every
 * raw header (~20 µs of validation per request, more than the rest of a redirect);
 * reading the one header off the runtime's own request costs nothing. `name` is lowercase.
 */
export function hotHeader(c: Context<AppEnv>, name: string): string | null {
  const read = c.get("services").requestHeader;
  return (read ? read(c, name) : c.req.header(name)) ?? null;
}

export function clientIp(c: Context<AppEnv>): string | null {
  const s = c.get("services");
  if (s.trustProxy) {
    const fwd = hotHeader(c, "x-forwarded-for");
    if (fwd) return fwd.split(",")[0]!.trim().slice(0, 64) || null;
  }
  return s.clientIp?.(c) ?? null;
}

/** Headers that keep Gmail's and Yahoo's image proxies (and any CDN) from caching live content. */
export const NO_CACHE_HEADERS: Record<string, string> = {
  "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0, private",
  Pragma: "no-cache",
  Expires: "-1",
};
