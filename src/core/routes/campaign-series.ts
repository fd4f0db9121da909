import { z } from "zod";
import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";
import { campaignId } from "./schemas.js";

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Intervals chosen when none is given: the finest one that keeps the series ≤ 300 points. */
const LADDER = [60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000];
const MAX_BUCKETS = 1000;

const instant = z.union([
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
  z
    .string()
    .max(40)
    .transform((s, ctx) => {
      const t = Date.parse(s);
      if (Number.isNaN(t)) ctx.addIssue({ code: "custom", message: "an ISO date or epoch milliseconds" });
      return t;
    }),
]);

const query = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    interval: z
      .string()
      .regex(/^[1-9]\d{0,5}[smhd]$/, "a number and a unit: 30s, 5m, 1h, 1d")
      .transform((s) => Number(s.slice(0, -1)) * UNIT_MS[s.slice(-1)]!)
      .optional(),
  })
  .strict();

type Counts = { total: number[]; byClass: Record<string, number[]> };

/**
 * GET /v1/campaigns/:id/series — opens and clicks per interval and traffic class, column-wise
 * (one array per class, aligned with `times`), for charts. Default: the last 24 hours.
 */
export function registerCampaignSeries(app: App): void {
  app.get("/v1/campaigns/:id/series", async (c) => {
    const id = parseParams(campaignId, c.req.param("id"), "campaign id");
    const q = parseParams(query, c.req.query(), "query");
    const { store, recorder, clock } = c.get("services");
    if (!store.events.campaignSeries) throw new ApiError("unavailable", "this store keeps no series");
    const to = q.to ?? clock.now();
    const from = q.from ?? to - 86_400_000;
    if (!(from < to)) throw new ApiError("validation_failed", "query: from must be before to");
    const interval = q.interval ?? LADDER.find((i) => (to - from) / i <= 300) ?? 86_400_000;
    const n = Math.ceil((to - from) / interval);
    if (n > MAX_BUCKETS) {
      throw new ApiError(
        "validation_failed",
        `query: at most ${MAX_BUCKETS} intervals; use a longer interval`,
      );
    }
    await recorder.flush();
    const rows = await store.events.campaignSeries(id, from, to, interval);
    const empty = (): Counts => ({ total: new Array(n).fill(0), byClass: Object.create(null) });
    const out = { opens: empty(), clicks: empty() };
    for (const r of rows) {
      if (r.bucket < 0 || r.bucket >= n) continue;
      const k = r.kind === "open" ? out.opens : out.clicks;
      k.byClass[r.class] ??= new Array(n).fill(0);
      k.byClass[r.class]![r.bucket]! += r.n;
      k.total[r.bucket]! += r.n;
    }
    const times = Array.from({ length: n }, (_, i) => from + i * interval);
    return c.json({ campaign: id, from, to, interval, times, ...out });
  });
}
