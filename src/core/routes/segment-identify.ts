import type { App } from "../app-env.js";
import { registerSingle } from "../segment/handler.js";

/** POST /v1/identify (Segment HTTP Tracking API). Who the user is: merges traits (newer wins) and links userId, anonymousId and traits.email to one profile. */
export function registerSegmentIdentify(app: App): void {
  registerSingle(app, "identify");
}
