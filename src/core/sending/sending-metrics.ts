import { Counter, Histogram, type Metrics } from "../metrics.js";

/** Sending's series in /metrics: decisions, provider calls, the queue. */
export class SendingMetrics {
  readonly decisions = new Counter(
    "opentime_send_decisions_total",
    "Send requests answered, by outcome (accepted, deferred, skipped, failed) and reason",
  );
  readonly attempts = new Counter(
    "opentime_send_attempts_total",
    "Calls to a channel's provider, by provider and result (sent, retry, dead, skipped)",
  );
  readonly providerSeconds = new Histogram(
    "opentime_send_provider_seconds",
    "Time a provider took to answer one send",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  readonly joined = new Counter(
    "opentime_send_events_total",
    "Delivery events joined back to an attempt (delivered, opened, clicked, bounced, complained)",
  );

  register(metrics: Metrics, queue: () => number): void {
    metrics.gauge("opentime_send_queue", "Accepted sends in memory, waiting or with a provider", queue);
    metrics.external(
      () =>
        this.decisions.render() +
        this.attempts.render() +
        this.providerSeconds.render() +
        this.joined.render(),
    );
  }
}
