import type { App } from "../app-env.js";
import { couponsOf, poolParam } from "./coupons-upload.js";

/** GET /v1/coupons/:pool — codes in the pool, assigned, redeemed and still available. */
export function registerCouponsStats(app: App): void {
  app.get("/v1/coupons/:pool", async (c) => c.json(await couponsOf(c).stats(poolParam(c))));
}
