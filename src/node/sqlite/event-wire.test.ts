import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../../core/ports/index.js";
import { fromWire, toWire, type WireBatch, wireTransfer } from "./event-wire.js";

/** Through postMessage as the writer thread gets it, the cells moved rather than copied. */
function crossed(batch: readonly TrackEvent[]): { got: TrackEvent[]; sentCells: Float64Array } {
  const { port1, port2 } = new MessageChannel();
  const wire = toWire(batch);
  port1.postMessage(wire, wireTransfer(wire));
  const got = fromWire(receiveMessageOnPort(port2)!.message as WireBatch);
  port1.close();
  return { got, sentCells: wire.cells };
}

const click = (over: Partial<TrackEvent> = {}): TrackEvent => ({
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
  ...over,
});

describe("event batches to the writer thread", () => {
  it("arrive as they were sent, every field and null", () => {
    const batch: TrackEvent[] = [
      click(),
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
      // The same strings again, and a value that is also another field's ("GET" as a campaign).
      click({ recipient: "bob@example.com", campaign: "GET", at: 1_800_000_000_124 }),
    ];
    const { got, sentCells } = crossed(batch);
    expect(got).toEqual(batch);
    // Moved: the sender's copy is gone (nothing of the batch is copied twice).
    expect(sentCells.byteLength).toBe(0);
    expect(fromWire(toWire([]))).toEqual([]);
  });

  it("carry each distinct string once", () => {
    const batch = Array.from({ length: 500 }, (_, i) => click({ recipient: `r${i % 50}@example.com` }));
    const wire = toWire(batch);
    // 50 recipients + kind, campaign, link, class, reasons, ip, user agent, method.
    expect(wire.strings).toHaveLength(58);
    expect(crossed(batch).got).toEqual(batch);
  });
});
