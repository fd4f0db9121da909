import type { App } from "../app-env.js";
import { importBody, MAX_FEEDS } from "../catalog/feed-schema.js";
import { feedRunOf } from "../catalog/import.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import type { FetchRefused } from "../ports/fetch.js";
import { base64url } from "../util/encoding.js";

/** Rejected rows listed in one answer; the count covers them all. */
const MAX_REJECTED_LISTED = 1000;

/** A refused or failed fetch as the operator should read it: their URL, or the remote server. */
function fetchError(r: FetchRefused): ApiError {
  const details = { reason: r.reason, ...(r.status !== undefined && { status: r.status }) };
  if (r.reason === "bad_url") return new ApiError("validation_failed", `url: ${r.message}`, details);
  if (r.reason === "host_not_allowed" || r.reason === "private_address")
    return new ApiError("forbidden", `the feed cannot be fetched: ${r.message}`, details);
  return new ApiError("bad_gateway", `the feed could not be fetched: ${r.message}`, details);
}

/**
 * POST /v1/products/import — fetch a JSON or CSV feed now (through the guarded Fetcher),
 * upsert its good rows in one transaction and report the bad ones by row. With `every`
 * (minutes), the feed is also stored (one per URL) and re-imported on that schedule. A
 * fetch or feed failure writes nothing, not even the feed.
 */
export function registerProductsImport(app: App): void {
  app.post("/v1/products/import", async (c) => {
    const s = c.get("services");
    if (!s.catalog) throw new ApiError("unavailable", "the product catalog is not available on this server");
    if (!s.feedImporter.available)
      throw new ApiError("unavailable", "remote fetching is not available on this server");
    const body = await readJson(c, importBody);
    if (body.every !== undefined) {
      if (!s.feeds) throw new ApiError("unavailable", "scheduled feeds are not available on this server");
      const feeds = await s.feeds.list();
      if (feeds.length >= MAX_FEEDS && !feeds.some((f) => f.url === body.url))
        throw new ApiError("conflict", `at most ${MAX_FEEDS} feeds; delete one first`);
    }

    const result = await s.feedImporter.run(body.url, body.format ?? null);
    if (!result.ok) {
      if (result.failure === "fetch") throw fetchError(result.refusal);
      throw new ApiError("unprocessable", `the feed cannot be read: ${result.message}`);
    }

    let feed: { id: string; every: number } | undefined;
    if (body.every !== undefined && s.feeds) {
      const at = s.clock.now();
      const run = feedRunOf(result, at);
      const saved = await s.feeds.save({
        id: base64url(s.random(12)),
        url: body.url,
        format: body.format ?? null,
        everyMinutes: body.every,
        createdAt: at,
        nextRunAt: at + body.every * 60_000,
        lastRunAt: at,
        lastStatus: run.status,
        lastMessage: run.message,
        lastCounts: run.counts,
      });
      feed = { id: saved.id, every: saved.everyMinutes };
    }
    return c.json({
      imported: result.created + result.updated,
      created: result.created,
      updated: result.updated,
      unchanged: result.unchanged,
      format: result.format,
      rejected: result.rejected.slice(0, MAX_REJECTED_LISTED),
      rejectedCount: result.rejected.length,
      ...(feed && { feed }),
    });
  });
}
