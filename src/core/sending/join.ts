import type { Logger } from "../ports/index.js";
import type { EmailEvent } from "../ports/profiles.js";
import type { DeliveryEvent, SendLog, SendRecord, SendWrite } from "../ports/sending.js";
import type { Signal, Signals } from "../ports/signals.js";
import type { AckedBatches } from "../util/acked-batches.js";
import type { SendingMetrics } from "./sending-metrics.js";

const FROM_ESP: Partial<Record<EmailEvent["type"], DeliveryEvent>> = {
  delivered: "delivered",
  open: "opened",
  click: "clicked",
  bounce: "bounced",
  complaint: "complained",
};

/**
 * Joins what comes back to the attempt it is about: ESP events by the attempt id sending
 * put in the provider's metadata (custom args, v: variables, Metadata, X-SMTPAPI), else by
 * the provider's message id; opentime's own human opens and clicks by campaign and `u`.
 * Each event keeps its first time. Machine opens and clicks are not answers.
 */
export function joinDeliveryEvents(
  signals: Signals,
  log: SendLog,
  writes: AckedBatches<SendWrite>,
  metrics: SendingMetrics,
  logger: Logger,
): () => void {
  // One join at a time: two events about one attempt must not overwrite each other's.
  let chain: Promise<void> = Promise.resolve();
  const apply = (find: () => Promise<SendRecord | null>, event: DeliveryEvent, at: number) => {
    chain = chain
      .then(async () => {
        const row = await find();
        if (!row || row.events[event] !== undefined) return;
        await writes.add({ update: row.id, set: { events: { ...row.events, [event]: at } } });
        metrics.joined.inc({ event });
      })
      .catch((err) => logger.error({ err, event }, "joining a delivery event to its send failed"));
  };
  return signals.on((s: Signal) => {
    if (s.type === "email") {
      const e = s.event;
      const event = FROM_ESP[e.type];
      if (!event || ((e.type === "open" || e.type === "click") && e.machine)) return;
      if (!e.sendId && !e.messageId) return;
      apply(
        async () =>
          (e.sendId ? await log.get(e.sendId) : null) ??
          (e.messageId ? await log.byProviderId(e.messageId) : null),
        event,
        e.at,
      );
    } else if ((s.type === "open" || s.type === "click") && s.class === "human") {
      apply(() => log.byRecipient(s.campaign, s.recipient), s.type === "open" ? "opened" : "clicked", s.at);
    }
  });
}
