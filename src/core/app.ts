import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env.js";
import { buildServices } from "./build-services.js";
import { ApiError, errorResponse } from "./http/errors.js";
import { measure, requireApiKey } from "./http/middleware.js";
import { registerAdaptiveLink } from "./routes/adaptive-link.js";
import { registerAppAuthLogin } from "./routes/app-auth-login.js";
import { registerAppAuthLogout } from "./routes/app-auth-logout.js";
import { registerAppAuthMe } from "./routes/app-auth-me.js";
import { registerAppAuthSetup } from "./routes/app-auth-setup.js";
import { registerAppStatic } from "./routes/app-static.js";
import { registerBlocksCreate } from "./routes/blocks-create.js";
import { registerBlocksDelete } from "./routes/blocks-delete.js";
import { registerBlocksLearning } from "./routes/blocks-learning.js";
import { registerBlocksList } from "./routes/blocks-list.js";
import { registerBlocksPreview } from "./routes/blocks-preview.js";
import { registerBlocksRead } from "./routes/blocks-read.js";
import { registerBlocksSplit } from "./routes/blocks-split.js";
import { registerBlocksStats } from "./routes/blocks-stats.js";
import { registerBlocksUpdate } from "./routes/blocks-update.js";
import { registerBlocksVotes } from "./routes/blocks-votes.js";
import { registerCampaignLive } from "./routes/campaign-live.js";
import { registerCampaignSeries } from "./routes/campaign-series.js";
import { registerCampaignStats } from "./routes/campaign-stats.js";
import { registerCampaignsList } from "./routes/campaigns-list.js";
import { registerClick } from "./routes/click.js";
import { registerCouponsStats } from "./routes/coupons-stats.js";
import { registerCouponsUpload } from "./routes/coupons-upload.js";
import { registerEmailsWrap } from "./routes/emails-wrap.js";
import { registerFlowsBuiltin } from "./routes/flows-builtin.js";
import { registerFlowsCreate } from "./routes/flows-create.js";
import { registerFlowsList } from "./routes/flows-list.js";
import { registerFlowsRead } from "./routes/flows-read.js";
import { registerFlowsStats } from "./routes/flows-stats.js";
import { registerFlowsStatus } from "./routes/flows-status.js";
import { registerFlowsUpdate } from "./routes/flows-update.js";
import { registerHealth } from "./routes/health.js";
import { registerImage } from "./routes/image.js";
import { registerLinksCreate } from "./routes/links-create.js";
import { registerMetrics } from "./routes/metrics.js";
import { registerOpenPixel } from "./routes/open-pixel.js";
import { registerOpenApi } from "./routes/openapi.js";
import { registerProductsFeedsDelete } from "./routes/products-feeds-delete.js";
import { registerProductsFeedsList } from "./routes/products-feeds-list.js";
import { registerProductsGet } from "./routes/products-get.js";
import { registerProductsImport } from "./routes/products-import.js";
import { registerProductsUpsert } from "./routes/products-upsert.js";
import { registerProfilesDelete } from "./routes/profiles-delete.js";
import { registerProfilesExport } from "./routes/profiles-export.js";
import { registerProfilesGet } from "./routes/profiles-get.js";
import { registerRecipientsKey } from "./routes/recipients-key.js";
import { registerRecipientsSign } from "./routes/recipients-sign.js";
import { registerRunsOfProfile } from "./routes/runs-of-profile.js";
import { registerScores } from "./routes/scores.js";
import { registerSegmentAlias } from "./routes/segment-alias.js";
import { registerSegmentBatch } from "./routes/segment-batch.js";
import { registerSegmentGroup } from "./routes/segment-group.js";
import { registerSegmentIdentify } from "./routes/segment-identify.js";
import { registerSegmentPage } from "./routes/segment-page.js";
import { registerSegmentScreen } from "./routes/segment-screen.js";
import { registerSegmentTrack } from "./routes/segment-track.js";
import { registerSendsCreate } from "./routes/sends-create.js";
import { registerSendsDead } from "./routes/sends-dead.js";
import { registerSendsOfProfile } from "./routes/sends-of-profile.js";
import { registerSendsRead } from "./routes/sends-read.js";
import { registerSendsRetry } from "./routes/sends-retry.js";
import { registerSign } from "./routes/sign.js";
import { registerSourcesCreate } from "./routes/sources-create.js";
import { registerSourcesDelete } from "./routes/sources-delete.js";
import { registerSourcesList } from "./routes/sources-list.js";
import { registerSourcesRead } from "./routes/sources-read.js";
import { registerSourcesUpdate } from "./routes/sources-update.js";
import { registerTemplatesCreate } from "./routes/templates-create.js";
import { registerTemplatesDelete } from "./routes/templates-delete.js";
import { registerTemplatesList } from "./routes/templates-list.js";
import { registerTemplatesPreview } from "./routes/templates-preview.js";
import { registerTemplatesRead } from "./routes/templates-read.js";
import { registerTemplatesUpdate } from "./routes/templates-update.js";
import { registerTrackerJs } from "./routes/tracker-js.js";
import { registerUnsubscribe } from "./routes/unsubscribe.js";
import { registerWebhooks } from "./routes/webhooks.js";
import { isIngestionPath } from "./segment/handler.js";
import type { AppDeps } from "./services.js";
import { createFastPath } from "./tracking/fast-path.js";

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
  app.use("*", measure());
  // Request ids serve the logs of operator calls; recipient-facing hits (/c, /o, /i) are
  // counted in metrics, not logged one by one, and skip the per-request id.
  const withId = requestId({ limitLength: 64 });
  app.use("*", async function operatorRequestId(c, next) {
    const p = c.req.path;
    if (p.startsWith("/c/") || p.startsWith("/o/") || p.startsWith("/i/")) return next();
    return withId(c, next);
  });

  // Operator API: key first, then a bound on the body before anything reads it. ESP
  // webhooks are exempt from the key: each one is verified the way its ESP signs.
  const operatorKey = requireApiKey();
  app.use("/v1/*", async function operatorOnly(c, next) {
    if (c.req.path.startsWith("/v1/webhooks/")) return next();
    // Segment ingestion (exact paths only) authenticates with write keys instead.
    if (isIngestionPath(c.req.path)) return next();
    return operatorKey(c, next);
  });
  app.use("/metrics", requireApiKey());
  const tooLarge = () => {
    throw new ApiError("payload_too_large", "the request body is too large");
  };
  app.use("/v1/emails/wrap", bodyLimit({ maxSize: MAX_WRAP_BODY, onError: tooLarge }));
  app.use("/v1/*", async function limitJson(c, next) {
    if (c.req.path === "/v1/emails/wrap" || isIngestionPath(c.req.path)) return next();
    return bodyLimit({ maxSize: MAX_JSON_BODY, onError: tooLarge })(c, next);
  });

  // Recipient-facing (never a broken image, never an open redirect).
  registerClick(app);
  // /c/:blockId/:slot has two segments, so it never shadows /c/:linkId.
  registerAdaptiveLink(app);
  registerOpenPixel(app);
  registerImage(app);
  registerUnsubscribe(app);
  // Operator API.
  registerLinksCreate(app);
  registerEmailsWrap(app);
  registerCampaignsList(app);
  registerCampaignStats(app);
  registerCampaignSeries(app);
  registerCampaignLive(app);
  registerBlocksList(app);
  registerBlocksCreate(app);
  registerBlocksRead(app);
  registerBlocksUpdate(app);
  registerBlocksDelete(app);
  registerBlocksStats(app);
  registerBlocksVotes(app);
  registerBlocksLearning(app);
  registerBlocksSplit(app);
  registerScores(app);
  registerBlocksPreview(app);
  registerSign(app);
  // Proofs that an image URL was written for its recipient (profile-driven content).
  registerRecipientsKey(app);
  registerRecipientsSign(app);
  // The product catalog behind price cards.
  registerProductsUpsert(app);
  registerProductsImport(app);
  // Before /v1/products/:id, which would take "feeds" for a product id.
  registerProductsFeedsList(app);
  registerProductsFeedsDelete(app);
  registerProductsGet(app);
  // Live content: data sources behind data blocks, coupon pools behind offers.
  registerSourcesCreate(app);
  registerSourcesList(app);
  registerSourcesRead(app);
  registerSourcesUpdate(app);
  registerSourcesDelete(app);
  registerCouponsUpload(app);
  registerCouponsStats(app);
  // ESP webhooks in (own verification per provider) and the browser tracker script.
  registerWebhooks(app);
  registerTrackerJs(app);
  // Segment-compatible ingestion (write-key auth) and the live profiles it feeds.
  registerSegmentTrack(app);
  registerSegmentIdentify(app);
  registerSegmentPage(app);
  registerSegmentScreen(app);
  registerSegmentGroup(app);
  registerSegmentAlias(app);
  registerSegmentBatch(app);
  registerProfilesGet(app);
  registerProfilesExport(app);
  registerProfilesDelete(app);
  // Sending: the templates flows send, and every attempt (a person's, the dead letters).
  registerTemplatesCreate(app);
  registerTemplatesList(app);
  registerTemplatesRead(app);
  registerTemplatesUpdate(app);
  registerTemplatesDelete(app);
  registerTemplatesPreview(app);
  registerSendsCreate(app);
  registerSendsOfProfile(app);
  registerSendsDead(app);
  registerSendsRead(app);
  registerSendsRetry(app);
  // The web app (/app): its files, and people's sign-in (sessions then work on /v1 too).
  app.use("/app/auth/*", bodyLimit({ maxSize: 16 * 1024, onError: tooLarge }));
  registerAppStatic(app);
  registerAppAuthLogin(app);
  registerAppAuthMe(app);
  registerAppAuthLogout(app);
  registerAppAuthSetup(app);
  // Flows: definitions and their runs. Built-ins live beside /v1/flows, not under it: a
  // /v1/flows/builtin/:name would make /v1/flows/:id/pause ambiguous to RegExpRouter.
  registerFlowsBuiltin(app);
  registerFlowsCreate(app);
  registerFlowsList(app);
  registerFlowsRead(app);
  registerFlowsUpdate(app);
  registerFlowsStats(app);
  registerFlowsStatus(app);
  registerRunsOfProfile(app);
  // Operations.
  registerHealth(app);
  registerOpenApi(app);
  registerMetrics(app);

  app.notFound((c) => errorResponse(c, new ApiError("not_found", "no such route")));
  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    services.logger.error({ err, path: c.req.path, requestId: c.get("requestId") }, "unhandled error");
    return errorResponse(c, new ApiError("internal", "internal error"));
  });
  // For runtime adapters: most opens and clicks answered before the router (fast-path.ts);
  // the services, for the runtime to start and stop what runs beside requests (sending).
  return Object.assign(app, { fastPath: createFastPath(services), services });
}

export type { Services } from "./build-services.js";
