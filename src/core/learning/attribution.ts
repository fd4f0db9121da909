import type { Logger } from "../ports/index.js";
import type { Profile } from "../ports/profiles.js";
import type { Signal, Signals } from "../ports/signals.js";
import { activityKeysOf } from "../profiles/activity.js";
import { currencyOf, eventKey, orderAmount } from "../profiles/ecommerce.js";
import { flowStepOf } from "./campaign.js";
import type { Learner } from "./learner.js";

export const DEFAULT_ATTRIBUTION_WINDOW_MS = 7 * 86_400_000;
const ORDER_COMPLETED = eventKey("Order Completed");

type EventSignal = Extract<Signal, { type: "event" }>;

export interface AttributionDeps {
  signals: Signals;
  learner: Learner;
  /** The person who ordered, with every email and ESP id their clicks may have carried. */
  findProfile: (profileId: string) => Promise<Profile | null>;
  logger: Logger;
  windowMs?: number;
  /** Each credited order (tests, logs). */
  onCredited?: (orderId: string, blockId: string) => void;
}

/**
 * Last-click attribution: an Order Completed within the window after a person's latest
 * human click on an adaptive link is credited to that click's block, arm and slot, with its
 * revenue in the order's currency, the product clicked when the order holds it, and the
 * flow and step of the email when its campaign names them. Returns the unsubscribe function.
 */
export function startAttribution(d: AttributionDeps): () => void {
  const windowMs = d.windowMs ?? DEFAULT_ATTRIBUTION_WINDOW_MS;
  // Serialised (two orders of one person are credited in the order they arrived), and
  // waited for by the stats (read-your-writes).
  return d.signals.on((s) => {
    if (s.type !== "event" || s.kind !== "track" || eventKey(s.name) !== ORDER_COMPLETED) return;
    d.learner.serial(() =>
      credit(d, s, windowMs).catch((err) =>
        d.logger.error({ err, profile: s.profileId }, "order attribution failed"),
      ),
    );
  });
}

async function credit(d: AttributionDeps, s: EventSignal, windowMs: number): Promise<void> {
  const profile = await d.findProfile(s.profileId);
  if (!profile) return;
  const touch = await d.learner.lastTouch(activityKeysOf(profile), s.at - windowMs, s.at);
  if (!touch) return;
  const props = s.properties as Record<string, unknown>;
  const amount = orderAmount(props);
  const fs = flowStepOf(touch.campaign);
  const credited = await d.learner.credit({
    orderId: s.messageId,
    blockId: touch.blockId,
    arm: touch.arm,
    slot: touch.slot,
    product: productClicked(props, touch.url),
    campaign: touch.campaign,
    flow: fs?.flow ?? null,
    step: fs?.step ?? null,
    currency: currencyOf(props),
    revenue: Number.isFinite(amount) && amount > 0 ? amount : 0,
    clickAt: touch.at,
    at: s.at,
  });
  if (credited) d.onCredited?.(s.messageId, touch.blockId);
}

/** The ordered product whose URL is the one clicked (query and trailing slash aside); else null. */
function productClicked(props: Record<string, unknown>, url: string): string | null {
  if (!Array.isArray(props.products)) return null;
  const want = bare(url);
  for (const p of props.products) {
    if (typeof p !== "object" || p === null) continue;
    const r = p as Record<string, unknown>;
    const id = r.product_id ?? r.sku ?? r.id;
    if (
      typeof r.url === "string" &&
      bare(r.url) === want &&
      (typeof id === "string" || typeof id === "number")
    )
      return String(id).slice(0, 200);
  }
  return null;
}

const bare = (u: string) => u.split(/[?#]/)[0]!.replace(/\/+$/, "");
