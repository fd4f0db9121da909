import type { Clock, TrackEvent } from "../ports/index.js";
import { ProfileService } from "../profiles/service.js";
import { type IngestEvent, parseEvent } from "../segment/event.js";
import { createMemoryProfileStore } from "./memory-profile-store.js";

/** A profile service on the in-memory store with a clock the test moves by hand. */
export function profileKit(start = Date.parse("2026-03-02T09:00:00Z")) {
  let now = start;
  const clock: Clock = { now: () => now };
  const tracking: TrackEvent[] = [];
  const store = createMemoryProfileStore(tracking);
  let seq = 0;
  const service = new ProfileService({
    store,
    secret: "unit-secret-0123456789abcdefghijkl",
    clock,
    random: (n) => {
      const b = new Uint8Array(n);
      new DataView(b.buffer).setUint32(0, ++seq);
      return b;
    },
    windowMs: 1,
    trackingWindowMs: 1,
  });
  let msg = 0;
  /** Builds and ingests one event as a Segment client would send it (received "now"). */
  const send = async (e: Record<string, unknown>) => {
    const ev = parseEvent(
      { messageId: `m-${++msg}`, timestamp: new Date(now).toISOString(), ...e },
      { receivedAt: now, newId: () => `gen-${++msg}` },
    );
    if ("code" in ev) throw new Error(ev.message);
    return service.ingest([ev as IngestEvent]);
  };
  return {
    service,
    store,
    tracking,
    send,
    get now() {
      return now;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
