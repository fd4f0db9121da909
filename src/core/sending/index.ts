import type { Links } from "../links/links.js";
import type { Metrics } from "../metrics.js";
import type { Clock, Logger, RandomBytes } from "../ports/index.js";
import type { Intervals } from "../ports/intervals.js";
import type { ChannelKind } from "../ports/messaging.js";
import type { Channel, SendingStore } from "../ports/sending.js";
import type { Signals } from "../ports/signals.js";
import type { RecipientProof } from "../profiles/recipient-proof.js";
import type { Profiles } from "../profiles/service.js";
import { createAckedBatches } from "../util/acked-batches.js";
import type { Signer } from "../util/signer.js";
import { joinDeliveryEvents } from "./join.js";
import { LiquidEngine } from "./liquid.js";
import { SendingService } from "./messenger.js";
import { MessageRenderer } from "./render.js";
import { SendingMetrics } from "./sending-metrics.js";
import type { SendingSettings } from "./settings.js";
import { unsubscribeToken, unsubscribeUrl } from "./unsubscribe.js";

export { SendingService } from "./messenger.js";
export { MessageRenderer } from "./render.js";

/** What sending needs from the runtime (AppDeps.sending). */
export interface SendingDeps {
  store: SendingStore;
  /** The channel that carries each kind; kinds without one are never chosen. */
  channels: ReadonlyMap<ChannelKind, Channel>;
  settings: SendingSettings;
  /** How often retries and sends left queued (after a restart) are looked for; default 1 s. */
  tickMs?: number;
  maxInFlight?: number;
}

export interface Sending {
  messenger: SendingService;
  renderer: MessageRenderer;
  store: SendingStore;
  /** Stops taking sends, waits for those with a provider, closes the channels. */
  close(): Promise<void>;
}

/** Builds the Messenger, its renderer and outbox, joins delivery events, and starts the outbox. */
export function createSending(
  deps: SendingDeps,
  ctx: {
    profiles: Pick<Profiles, "find">;
    links: Links;
    proof: RecipientProof;
    /** Signs the one-click unsubscribe URLs emails carry. */
    signer: Signer;
    publicUrl: () => string;
    signals: Signals;
    metrics: Metrics;
    clock: Clock;
    random: RandomBytes;
    logger: Logger;
    intervals?: Intervals;
  },
): Sending {
  const metrics = new SendingMetrics();
  const renderer = new MessageRenderer(new LiquidEngine(), ctx.links, ctx.proof, ctx.publicUrl, () =>
    ctx.clock.now(),
  );
  const messenger = new SendingService({
    store: deps.store,
    profiles: ctx.profiles,
    channels: deps.channels,
    renderer,
    settings: deps.settings,
    clock: ctx.clock,
    random: ctx.random,
    logger: ctx.logger,
    metrics,
    maxInFlight: deps.maxInFlight,
    unsubscribeUrl: async (sendId) =>
      unsubscribeUrl(ctx.publicUrl(), await unsubscribeToken(ctx.signer, sendId)),
  });
  metrics.register(ctx.metrics, () => messenger.outbox.queued);
  const joins = createAckedBatches(
    (batch: Parameters<SendingStore["sends"]["write"]>[0][number][]) => deps.store.sends.write(batch),
    { windowMs: 50 },
  );
  const stopJoin = joinDeliveryEvents(ctx.signals, deps.store.sends, joins, metrics, ctx.logger);
  // Everything still queued (retries due, sends a restart interrupted) is taken up at once,
  // then looked for on every tick.
  let ticking: Promise<unknown> | null = null;
  const tick = () => {
    ticking ??= messenger.outbox.tick().finally(() => {
      ticking = null;
    });
    return ticking.then(() => undefined);
  };
  void tick().catch((err) => ctx.logger.error({ err }, "resuming queued sends failed"));
  ctx.intervals?.every(deps.tickMs ?? 1_000, tick);
  return {
    messenger,
    renderer,
    store: deps.store,
    async close() {
      stopJoin();
      await messenger.outbox.close();
      await Promise.all([...new Set(deps.channels.values())].map((c) => c.close?.()));
      await deps.store.close?.();
    },
  };
}
