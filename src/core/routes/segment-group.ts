import type { App } from "../app-env.js";
import { registerSingle } from "../segment/handler.js";

/** POST /v1/group (Segment HTTP Tracking API). The account/company a user belongs to, kept on the profile with its traits. */
export function registerSegmentGroup(app: App): void {
  registerSingle(app, "group");
}
