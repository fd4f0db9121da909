import type { App } from "../app-env.js";
import { registerSingle } from "../segment/handler.js";

/** POST /v1/track (Segment HTTP Tracking API). A user action ("Order Completed", "Product Viewed"): updates history, interests, cart, intent and the live session. */
export function registerSegmentTrack(app: App): void {
  registerSingle(app, "track");
}
