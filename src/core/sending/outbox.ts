import type { Clock, Logger, RandomBytes } from "../ports/index.js";
import type { ChannelKind } from "../ports/messaging.js";
import type {
  Channel,
  ChannelResult,
  SendChanges,
  SendLog,
  SendRecord,
  SendWrite,
} from "../ports/sending.js";
import type { AckedBatches } from "../util/acked-batches.js";
import type { SendingMetrics } from "./sending-metrics.js";
import type { SendingSettings } from "./settings.js";

/** Why a queued send must not go after all (a bounce or unsubscribe since it was accepted). */
export type Recheck = (row: SendRecord) => Promise<"suppressed" | "no_consent" | null>;

export interface OutboxOptions {
  log: SendLog;
  writes: AckedBatches<SendWrite>;
  channels: ReadonlyMap<ChannelKind, Channel>;
  settings: SendingSettings;
  clock: Clock;
  random: RandomBytes;
  logger: Logger;
  metrics: SendingMetrics;
  recheck: Recheck;
  /** Sends with a provider at once (the SMTP pool queues what its connections cannot take yet). */
  maxInFlight?: number;
  /** Sends held in memory waiting for a slot; more stay in the store until there is room. */
  maxWaiting?: number;
}

/** A send accepted this recently was checked by the decision itself: no second profile read. */
const FRESH_MS = 1_000;
/** Between tries of a state write that failed (the disk is full, the file locked). */
const WRITE_RETRY_MS = 1_000;

/**
 * The outbox: hands queued sends to their channel, highest priority first, and records
 * each outcome. A send is `queued` in the store from the moment it is accepted until a
 * provider has taken it (then `sent`) or refused it for good (then `dead`); transient
 * failures stay `queued` with a later `nextAt` (exponential backoff with jitter, or the
 * provider's Retry-After). After a crash every `queued` row is found again by tick(): the
 * only repeat a crash can cause is a send the provider took whose `sent` was not yet
 * written, and it carries the same key (README: the duplicate window).
 */
export class Outbox {
  private readonly o: Required<OutboxOptions>;
  private waiting: SendRecord[] = [];
  /** Ids in memory (waiting or with a provider): never handed out twice. */
  private readonly held = new Set<string>();
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: OutboxOptions) {
    this.o = { ...opts, maxInFlight: opts.maxInFlight ?? 64, maxWaiting: opts.maxWaiting ?? 10_000 };
  }

  get queued(): number {
    return this.held.size;
  }

  /** A send just accepted: goes now if a slot is free (else waits in memory or in the store). */
  enqueue(row: SendRecord): void {
    if (this.closed || this.held.has(row.id) || this.waiting.length >= this.o.maxWaiting) return;
    this.held.add(row.id);
    // Sorted by priority (highest first); equal priorities keep arrival order.
    let i = this.waiting.length;
    while (i > 0 && this.waiting[i - 1]!.priority < row.priority) i--;
    this.waiting.splice(i, 0, row);
    this.pump();
  }

  /** Takes due sends from the store (retries, and after a restart everything still queued). */
  async tick(): Promise<number> {
    if (this.closed) return 0;
    const room = this.o.maxWaiting - this.waiting.length;
    if (room <= 0) return 0;
    const due = await this.o.log.due(this.o.clock.now(), room + this.held.size);
    let n = 0;
    for (const row of due) {
      if (this.held.has(row.id)) continue;
      this.enqueue(row);
      n++;
    }
    return n;
  }

  /** Resolves when nothing is waiting or with a provider. */
  idle(): Promise<void> {
    if (this.held.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking sends and waits for those with a provider; the waiting stay queued in the store. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.waiting) this.held.delete(r.id);
    this.waiting = [];
    await this.idle();
  }

  private pump(): void {
    while (this.running < this.o.maxInFlight && this.waiting.length > 0) {
      const row = this.waiting.shift()!;
      this.running++;
      void this.run(row).finally(() => {
        this.running--;
        this.held.delete(row.id);
        this.pump();
        if (this.held.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async run(row: SendRecord): Promise<void> {
    const { clock, metrics } = this.o;
    const provider = row.provider ?? "none";
    try {
      const now = clock.now();
      if (row.deadline !== null && now > row.deadline) {
        metrics.attempts.inc({ provider, result: "skipped" });
        return this.persist(row.id, {
          status: "skipped",
          reason: "deadline_passed",
          message: null,
          nextAt: null,
          updatedAt: now,
        });
      }
      const fresh = row.tries === 0 && row.acceptedAt !== null && now - row.acceptedAt < FRESH_MS;
      const stop = fresh ? null : await this.o.recheck(row);
      if (stop) {
        metrics.attempts.inc({ provider, result: "skipped" });
        return this.persist(row.id, {
          status: "skipped",
          reason: stop,
          message: null,
          nextAt: null,
          updatedAt: now,
        });
      }
      const channel = row.channel ? this.o.channels.get(row.channel) : undefined;
      const result: ChannelResult =
        !channel || !row.message
          ? { ok: false, permanent: true, reason: `no ${row.channel ?? ""} channel is configured` }
          : await this.call(channel, row);
      await this.persist(row.id, this.outcome(row, result));
    } catch (err) {
      // A bug or a store that will not answer: the row stays queued and tick() finds it again.
      this.o.logger.error({ err, sendId: row.id }, "send failed unexpectedly; it stays queued");
    }
  }

  private async call(channel: Channel, row: SendRecord): Promise<ChannelResult> {
    const started = performance.now();
    try {
      return await channel.send(row.message!);
    } catch (err) {
      return { ok: false, permanent: false, reason: `${channel.provider}: ${(err as Error).message}` };
    } finally {
      this.o.metrics.providerSeconds.observe(
        { provider: channel.provider },
        (performance.now() - started) / 1000,
      );
    }
  }

  private outcome(row: SendRecord, r: ChannelResult): SendChanges {
    const now = this.o.clock.now();
    const tries = row.tries + 1;
    const provider = row.provider ?? "none";
    if (r.ok) {
      this.o.metrics.attempts.inc({ provider, result: "sent" });
      return {
        status: "sent",
        providerId: r.providerId,
        tries,
        sentAt: now,
        message: null,
        nextAt: null,
        reason: null,
        updatedAt: now,
      };
    }
    if (r.permanent || tries >= this.o.settings.maxTries) {
      this.o.metrics.attempts.inc({ provider, result: "dead" });
      const reason = r.permanent ? r.reason : `gave up after ${tries} tries: ${r.reason}`;
      return { status: "dead", reason, tries, nextAt: null, updatedAt: now };
    }
    this.o.metrics.attempts.inc({ provider, result: "retry" });
    return {
      status: "queued",
      reason: r.reason,
      tries,
      nextAt: now + this.backoff(tries, r.retryAfterMs),
      updatedAt: now,
    };
  }

  /** Exponential from retryBaseMs, capped, with equal jitter; a provider's Retry-After wins. */
  private backoff(tries: number, retryAfterMs: number | undefined): number {
    const { retryBaseMs, retryMaxMs } = this.o.settings;
    if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 1_000), 24 * retryMaxMs);
    const full = Math.min(retryMaxMs, retryBaseMs * 2 ** (tries - 1));
    const [a, b] = this.o.random(2);
    return Math.round(full / 2 + ((a! * 256 + b!) / 65_536) * (full / 2));
  }

  /** Writes one state change; retried until it lands (a lost `sent` would send again). */
  private async persist(id: string, set: SendChanges): Promise<void> {
    for (;;) {
      try {
        await this.o.writes.add({ update: id, set });
        return;
      } catch (err) {
        this.o.logger.error({ err, sendId: id }, "recording a send's outcome failed; retrying");
        // Shutting down: the row stays queued and is sent again at start (the same key).
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, WRITE_RETRY_MS));
      }
    }
  }
}
