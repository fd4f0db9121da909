import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env.js";
import { buildServices } from "./build-services.js";
import { ApiError, errorResponse } from "./http/errors.js";
import { measure, requireApiKey } from "./http/middleware.js";
import { registerCampaignStats } from "./routes/campaign-stats.js";
import { registerClick } from "./routes/click.js";
import { registerEmailsWrap } from "./routes/emails-wrap.js";
import { registerHealth } from "./routes/health.js";
import { registerLinksCreate } from "./routes/links-create.js";
import { registerMetrics } from "./routes/metrics.js";
import { registerOpenPixel } from "./routes/open-pixel.js";
import type { AppDeps } from "./services.js";

export type { AppDeps } from "./services.js";

/** Default bound on operator request bodies; routes that take HTML allow more. */
const MAX_JSON_BODY = 1024 * 1024;
export const MAX_WRAP_BODY = 4 * 1024 * 1024;

/**
 * The whole HTTP surface as a function of its ports. Uses Web standards only, so it runs
 * on any runtime that can give it adapters; src/node/server.ts is where Node builds them.
 */
export function createApp(deps: AppDeps) {
  const services = buildServices(deps);
  const app = new Hono<AppEnv>();

  app.use("*", async function inject(c, next) {
    c.set("services", services);
    await next();
  });
  app.use("*", requestId({ limitLength: 64 }));
  app.use("*", measure());

  // Operator API: key first, then a bound on the body before anything reads it.
  app.use("/v1/*", requireApiKey());
  app.use("/metrics", requireApiKey());
  const tooLarge = () => {
    throw new ApiError("payload_too_large", "the request body is too large");
  };
  app.use("/v1/emails/wrap", bodyLimit({ maxSize: MAX_WRAP_BODY, onError: tooLarge }));
  app.use("/v1/*", async function limitJson(c, next) {
    if (c.req.path === "/v1/emails/wrap") return next();
    return bodyLimit({ maxSize: MAX_JSON_BODY, onError: tooLarge })(c, next);
  });

  // Recipient-facing (never a broken image, never an open redirect).
  registerClick(app);
  registerOpenPixel(app);
  // Operator API.
  registerLinksCreate(app);
  registerEmailsWrap(app);
  registerCampaignStats(app);
  // Operations.
  registerHealth(app);
  registerMetrics(app);

  app.notFound((c) => errorResponse(c, new ApiError("not_found", "no such route")));
  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    services.logger.error({ err, path: c.req.path, requestId: c.get("requestId") }, "unhandled error");
    return errorResponse(c, new ApiError("internal", "internal error"));
  });
  return app;
}

export type { Services } from "./build-services.js";
