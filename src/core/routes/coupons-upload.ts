import type { Context } from "hono";
import { z } from "zod";
import type { App, AppEnv } from "../app-env.js";
import { POOL_RE } from "../cards/offer-block.js";
import { parseCsv, sniffDelimiter } from "../catalog/csv.js";
import { ApiError } from "../http/errors.js";
import { parseParams, readJson } from "../http/validate.js";
import type { CouponStore } from "../ports/live.js";

export const CODE_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** Codes per upload (the 1 MB body bound allows about this many). */
const MAX_CODES = 50_000;
/** Duplicates listed in the answer (all are counted). */
const MAX_LISTED = 100;

const jsonBody = z.object({ codes: z.array(z.string()).min(1).max(MAX_CODES) }).strict();

export function couponsOf(c: Context<AppEnv>): CouponStore {
  const store = c.get("services").coupons;
  if (!store) throw new ApiError("unavailable", "coupon pools are not available on this server");
  return store;
}

export function poolParam(c: Context<AppEnv>): string {
  return parseParams(
    z.string().regex(POOL_RE, "pool names are 1-64 of A-Z a-z 0-9 . _ -"),
    c.req.param("pool"),
    "pool",
  );
}

/** The first column of a CSV, a `code` header skipped. */
function codesOfCsv(text: string): string[] {
  const { records, truncated } = parseCsv(text, sniffDelimiter(text), MAX_CODES + 1);
  if (truncated) throw new ApiError("payload_too_large", `at most ${MAX_CODES} codes per upload`);
  const codes = records.map((r) => (r.fields[0] ?? "").trim());
  if (codes[0]?.toLowerCase() === "code") codes.shift();
  return codes.filter((c) => c !== "");
}

/**
 * POST /v1/coupons/:pool — adds unique codes (JSON `{ "codes": [...] }`, or a CSV whose
 * first column holds them). Codes already in the pool or repeated in the upload are kept
 * once and reported as duplicates; a malformed code refuses the whole upload.
 */
export function registerCouponsUpload(app: App): void {
  app.post("/v1/coupons/:pool", async (c) => {
    const store = couponsOf(c);
    const pool = poolParam(c);
    const type = c.req.header("content-type") ?? "";
    const codes = /^text\/csv\b/i.test(type)
      ? codesOfCsv(await c.req.text())
      : (await readJson(c, jsonBody)).codes;
    if (codes.length === 0) throw new ApiError("validation_failed", "no codes in the upload");
    if (codes.length > MAX_CODES)
      throw new ApiError("payload_too_large", `at most ${MAX_CODES} codes per upload`);
    const bad = codes.filter((code) => !CODE_RE.test(code));
    if (bad.length)
      throw new ApiError("validation_failed", `codes are 1-64 of A-Z a-z 0-9 . _ - (${bad.length} are not)`, {
        invalid: bad.slice(0, MAX_LISTED).map((b) => b.slice(0, 80)),
      });
    const res = await store.addCodes(pool, codes, c.get("services").clock.now());
    const stats = await store.stats(pool);
    return c.json({
      pool,
      added: res.added,
      duplicates: res.duplicates.length,
      duplicateCodes: res.duplicates.slice(0, MAX_LISTED),
      available: stats.available,
      total: stats.total,
    });
  });
}
