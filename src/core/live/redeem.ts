import type { Logger } from "../ports/index.js";
import type { CouponStore } from "../ports/live.js";
import type { Signals } from "../ports/signals.js";

/** Longest code an upload accepts; anything longer in an order is not one of ours. */
const MAX_CODE = 64;

/**
 * An Order Completed carrying a `coupon` marks that code redeemed, once the event is stored
 * (the signal comes after its commit, never for a duplicate). Returns the unsubscribe.
 */
export function redeemCouponsOnOrders(signals: Signals, coupons: CouponStore, logger: Logger): () => void {
  return signals.on((s) => {
    if (s.type !== "event" || s.kind !== "track" || s.name !== "Order Completed") return;
    const code = s.properties.coupon;
    if (typeof code !== "string" || code.length === 0 || code.length > MAX_CODE) return;
    coupons.redeem(code, s.at).catch((err) => logger.error({ err }, "coupon redemption not recorded"));
  });
}
