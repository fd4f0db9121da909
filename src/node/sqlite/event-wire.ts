import type { TrackEvent } from "../../core/ports/index.js";

/**
 * How a batch of events crosses to the event-writer thread: one flat array, ten values per
 * event. postMessage copies it with the structured-clone algorithm, which for objects writes
 * and reads every property name of every event; the flat array costs ~0.35 + 0.55 µs per
 * event against ~0.6 + 1.3 for the objects (serialize on this thread + read on the writer's,
 * v8.serialize/deserialize of a 750-event batch), and the writer rebuilds objects of one shape.
 */
export type WireBatch = unknown[];
const FIELDS = 10;

export function toWire(batch: readonly TrackEvent[]): WireBatch {
  const out: unknown[] = new Array(batch.length * FIELDS);
  let i = 0;
  for (const e of batch) {
    out[i++] = e.at;
    out[i++] = e.kind;
    out[i++] = e.campaign;
    out[i++] = e.linkId;
    out[i++] = e.recipient;
    out[i++] = e.class;
    out[i++] = e.reasons;
    out[i++] = e.ip;
    out[i++] = e.userAgent;
    out[i++] = e.method;
  }
  return out;
}

export function fromWire(wire: WireBatch): TrackEvent[] {
  const out: TrackEvent[] = new Array(wire.length / FIELDS);
  for (let i = 0, n = 0; i < wire.length; i += FIELDS, n++) {
    out[n] = {
      at: wire[i] as number,
      kind: wire[i + 1] as TrackEvent["kind"],
      campaign: wire[i + 2] as string,
      linkId: wire[i + 3] as string | null,
      recipient: wire[i + 4] as string | null,
      class: wire[i + 5] as TrackEvent["class"],
      reasons: wire[i + 6] as string[],
      ip: wire[i + 7] as string | null,
      userAgent: wire[i + 8] as string | null,
      method: wire[i + 9] as string,
    };
  }
  return out;
}
