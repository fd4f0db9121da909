import type { TrackEvent } from "../../core/ports/index.js";

/**
 * How a batch of events crosses to the event-writer thread: each distinct string of the
 * batch once (`strings`), and per event eleven numbers (`cells`: the time, then each field as
 * an index into `strings`, -1 for null), in a Float64Array whose buffer is transferred,
 * not copied. Most fields repeat across a batch (kind, class, campaign, link, method, the
 * common user agents), so postMessage's structured clone copies a few strings per event
 * instead of ten values (and the writer thread then allocates them again).
 * Measured in-process, batches of 1,000 clicks over 50,000 recipients (send + receive
 * through a MessageChannel): the flat array of values this replaced cost 0.72 + 0.72 µs per
 * event, this 0.48 + 0.04.
 *
 * `reasons` travel as their JSON text, the form the log stores; the writer parses each
 * distinct one once, so events of a batch share arrays (never mutated there).
 */
export interface WireBatch {
  strings: string[];
  cells: Float64Array;
}
const FIELDS = 11;

export function toWire(batch: readonly TrackEvent[]): WireBatch {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const id = (s: string | null): number => {
    if (s === null) return -1;
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const cells = new Float64Array(batch.length * FIELDS);
  let c = 0;
  for (const e of batch) {
    cells[c++] = e.at;
    cells[c++] = id(e.kind);
    cells[c++] = id(e.campaign);
    cells[c++] = id(e.linkId);
    cells[c++] = id(e.recipient);
    cells[c++] = id(e.class);
    cells[c++] = id(e.reasons.length ? JSON.stringify(e.reasons) : "[]");
    cells[c++] = id(e.ip);
    cells[c++] = id(e.userAgent);
    cells[c++] = id(e.method);
    cells[c++] = id(e.corrects ?? null);
  }
  return { strings, cells };
}

/** What postMessage should move rather than copy. */
export const wireTransfer = (w: WireBatch): ArrayBuffer[] => [w.cells.buffer as ArrayBuffer];

export function fromWire({ strings, cells }: WireBatch): TrackEvent[] {
  const s = (i: number): string | null => (i < 0 ? null : strings[i]!);
  const reasons = new Map<number, string[]>();
  const reasonsOf = (i: number): string[] => {
    let r = reasons.get(i);
    if (r === undefined) {
      r = JSON.parse(strings[i]!) as string[];
      reasons.set(i, r);
    }
    return r;
  };
  const out: TrackEvent[] = new Array(cells.length / FIELDS);
  for (let c = 0, n = 0; c < cells.length; c += FIELDS, n++) {
    out[n] = {
      at: cells[c]!,
      kind: strings[cells[c + 1]!] as TrackEvent["kind"],
      campaign: strings[cells[c + 2]!]!,
      linkId: s(cells[c + 3]!),
      recipient: s(cells[c + 4]!),
      class: strings[cells[c + 5]!] as TrackEvent["class"],
      reasons: reasonsOf(cells[c + 6]!),
      ip: s(cells[c + 7]!),
      userAgent: s(cells[c + 8]!),
      method: strings[cells[c + 9]!]!,
    };
    const corrects = cells[c + 10]!;
    if (corrects >= 0) out[n]!.corrects = strings[corrects] as TrackEvent["class"];
  }
  return out;
}
