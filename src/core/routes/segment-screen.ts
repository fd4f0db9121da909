import type { App } from "../app-env.js";
import { registerSingle } from "../segment/handler.js";

/** POST /v1/screen (Segment HTTP Tracking API). A mobile screen view: the app's page, treated the same way. */
export function registerSegmentScreen(app: App): void {
  registerSingle(app, "screen");
}
