import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { type IngestEvent, MAX_BATCH_BYTES, parseEvent } from "../segment/event.js";
import {
  ingest,
  newMessageId,
  readSegmentBody,
  requireWriteKey,
  segmentBodyLimit,
} from "../segment/handler.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * POST /v1/batch — what every Segment server library sends: `{ batch: [...], sentAt }`.
 *
 * Bad events inside a batch: the good ones are accepted and the bad ones reported by
 * index (`rejected: [{ index, code, message }]`) in a 200. Segment libraries drop a batch
 * on a 400 without retrying, so failing the whole batch for one bad event would lose
 * every good one; a 200 with the list loses nothing that could have been kept. A batch
 * where nothing is acceptable is a 400.
 */
export function registerSegmentBatch(app: App): void {
  app.post("/v1/batch", segmentBodyLimit(MAX_BATCH_BYTES, "batch"), async (c) => {
    const body = (await readSegmentBody(c, MAX_BATCH_BYTES)) as Record<string, unknown>;
    requireWriteKey(c, body);
    const batch = body.batch;
    if (!Array.isArray(batch)) throw new ApiError("validation_failed", "batch must be an array of events");
    if (batch.length === 0) throw new ApiError("validation_failed", "batch is empty");

    const receivedAt = c.get("services").clock.now();
    const newId = newMessageId(c);
    // Top-level context/integrations apply to every event that does not set its own.
    const shared = isObject(body.context) ? body.context : null;
    const events: IngestEvent[] = [];
    const rejected: { index: number; code: string; message: string }[] = [];
    batch.forEach((raw, index) => {
      const input =
        shared && isObject(raw)
          ? { ...raw, context: { ...shared, ...(isObject(raw.context) ? raw.context : {}) } }
          : raw;
      const ev = parseEvent(input, { receivedAt, batchSentAt: body.sentAt, newId });
      if ("code" in ev) rejected.push({ index, code: ev.code, message: ev.message });
      else events.push(ev);
    });
    if (!events.length) {
      throw new ApiError(
        "validation_failed",
        `no event in the batch is valid (first: ${rejected[0]!.message})`,
        {
          rejected: rejected.slice(0, 100),
        },
      );
    }
    await ingest(c, events);
    if (!rejected.length) return c.json({ success: true });
    return c.json({ success: true, accepted: events.length, rejected });
  });
}
