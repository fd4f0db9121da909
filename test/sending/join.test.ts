import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/ports/index.js";
import type { SendRecord } from "../../src/core/ports/sending.js";
import { joinDeliveryEvents } from "../../src/core/sending/join.js";
import { SendingMetrics } from "../../src/core/sending/sending-metrics.js";
import { createMemorySignals } from "../../src/core/signals/memory-signals.js";
import { createMemorySendingStore } from "../../src/core/testing/memory-sending-store.js";
import { createAckedBatches } from "../../src/core/util/acked-batches.js";

// What comes back, joined to the attempt it is about: ESP events by the attempt id or the
// provider's message id, opentime's own human opens and clicks by campaign and `u`.
const row = (over: Partial<SendRecord>): SendRecord =>
  ({
    key: "k",
    profileId: "p_1",
    status: "sent",
    campaign: "cart-send",
    u: "ann@x.com",
    providerId: null,
    createdAt: 1,
    events: {},
    ...over,
  }) as SendRecord;

describe("joining delivery events", () => {
  it("records each event's first time on its attempt; machine opens are not answers", async () => {
    const store = createMemorySendingStore();
    await store.sends.write([
      { insert: row({ id: "s_a", key: "k1" }) },
      { insert: row({ id: "s_b", key: "k2", providerId: "sg-9", u: "bob@x.com" }) },
    ]);
    const signals = createMemorySignals();
    const writes = createAckedBatches((b: Parameters<typeof store.sends.write>[0][number][]) =>
      store.sends.write(b),
    );
    joinDeliveryEvents(signals, store.sends, writes, new SendingMetrics(), silentLogger);
    const email = (e: Record<string, unknown>) =>
      signals.emit({
        type: "email",
        event: { provider: "sendgrid", email: "x@x.com", id: String(Math.random()), ...e } as never,
      });
    email({ type: "delivered", at: 10, sendId: "s_a" });
    email({ type: "open", at: 20, sendId: "s_a", machine: true });
    email({ type: "bounce", at: 30, messageId: "sg-9", bounce: "hard" });
    email({ type: "delivered", at: 40, sendId: "s_a" }); // a repeat keeps the first time
    signals.emit({
      type: "click",
      recipient: "ann@x.com",
      campaign: "cart-send",
      linkId: "l",
      class: "human",
      at: 50,
    });
    signals.emit({
      type: "open",
      recipient: "ann@x.com",
      campaign: "cart-send",
      linkId: null,
      class: "apple_mpp",
      at: 60,
    });
    const until = Date.now() + 5_000;
    while (!(await store.sends.get("s_a"))!.events.clicked && Date.now() < until)
      await new Promise((r) => setTimeout(r, 5));
    expect((await store.sends.get("s_a"))!.events).toEqual({ delivered: 10, clicked: 50 });
    expect((await store.sends.get("s_b"))!.events).toEqual({ bounced: 30 });
  });
});
