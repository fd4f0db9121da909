import type { TrackEvent } from "../ports/index.js";

/** A logged open or click for tests: a human GET open of campaign "c", with `over` applied. */
export function trackEvent(over: Partial<TrackEvent> = {}): TrackEvent {
  return {
    at: Date.now(),
    kind: "open",
    campaign: "c",
    linkId: null,
    recipient: null,
    class: "human",
    reasons: [],
    ip: null,
    userAgent: null,
    method: "GET",
    ...over,
  };
}
