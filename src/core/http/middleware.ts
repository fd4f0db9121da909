import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import { allowed } from "../auth/roles.js";
import { checkCsrf, publicUser } from "../auth/sessions.js";
import type { PlainResponse } from "../tracking/answers.js";
import { pickClientIp } from "../tracking/client-ip.js";
import { timingSafeEqual } from "../util/encoding.js";
import { ApiError } from "./errors.js";

/**
 * Every operator route: the bearer key, or a signed-in person's session cookie (the web
 * app), with its CSRF token on every change and only what the person's role allows.
 */
export function requireApiKey(): MiddlewareHandler<AppEnv> {
  return async function requireApiKey(c, next) {
    const services = c.get("services");
    const key = services.config.OPENTIME_API_KEY;
    const header = c.req.header("authorization") ?? "";
    if (!header && services.auth) {
      const signedIn = await services.auth.fromCookie(c);
      if (signedIn) {
        checkCsrf(c, signedIn.session);
        if (!allowed(signedIn.user.role, c.req.method, c.req.path)) {
          throw new ApiError("forbidden", "an admin's role is needed for this");
        }
        c.set("user", publicUser(signedIn.user));
        return next();
      }
    }
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
    c.get("services").metrics.request(
      route,
      c.req.method,
      c.res.status,
      (performance.now() - started) / 1000,
    );
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
  return pickClientIp(
    s.trustProxy,
    s.trustProxy ? hotHeader(c, "x-forwarded-for") : null,
    () => s.clientIp?.(c) ?? null,
  );
}

/** Sends an answer built as plain data (tracking/answers.ts). */
export function sendPlain(c: Context<AppEnv>, r: PlainResponse): Response {
  // An empty string, not null, for a bodiless GET answer: Node's adapter answers a string
  // body from its fast path (Content-Length: 0), while a null body builds a full Fetch
  // Response and goes chunked. HEAD keeps null (no length is claimed for it).
  const body = r.body ?? (c.req.method === "HEAD" ? null : "");
  return c.body(body as string, r.status as 200, r.headers);
}
