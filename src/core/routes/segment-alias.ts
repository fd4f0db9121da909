import type { App } from "../app-env.js";
import { registerSingle } from "../segment/handler.js";

/** POST /v1/alias (Segment HTTP Tracking API). previousId and userId are one person: their profiles merge, history and scores included. */
export function registerSegmentAlias(app: App): void {
  registerSingle(app, "alias");
}
