import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../../core/ports/index.js";
import { fromWire, toWire } from "./event-wire.js";

describe("event batches to the writer thread", () => {
  it("arrive as they were sent, through the structured clone postMessage uses", () => {
    const batch: TrackEvent[] = [
      {
        at: 1_800_000_000_123,
        kind: "click",
        campaign: "spring:sale~1",
        linkId: "abcdefghijklmnopqrst",
        recipient: "ann+tag@example.com",
        class: "scanner",
        reasons: ["head_request", "ua_bot_token:python-requests"],
        ip: "2001:db8::1",
        userAgent: "Mozilla/5.0 (ünïcödé) ✓",
        method: "HEAD",
      },
      {
        at: 0,
        kind: "open",
        campaign: "",
        linkId: null,
        recipient: null,
        class: "unknown",
        reasons: [],
        ip: null,
        userAgent: null,
        method: "GET",
      },
    ];
    expect(fromWire(deserialize(serialize(toWire(batch))) as unknown[])).toEqual(batch);
    expect(fromWire(toWire([]))).toEqual([]);
  });
});
