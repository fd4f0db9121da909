import type { App } from "../app-env.js";
import { registerSingle } from "../segment/handler.js";

/** POST /v1/page (Segment HTTP Tracking API). A web page view: a browsing signal that keeps the live session going. */
export function registerSegmentPage(app: App): void {
  registerSingle(app, "page");
}
