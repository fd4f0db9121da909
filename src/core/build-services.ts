import { ImageService } from "./blocks/image-service.js";
import { BlockKinds } from "./blocks/kinds.js";
import { noCardAssets } from "./cards/assets.js";
import { BannerBlocks } from "./cards/banner-block.js";
import { PriceBlocks } from "./cards/price-block.js";
import { ProductImages } from "./cards/product-images.js";
import { WeatherBlocks } from "./cards/weather-block.js";
import { FeedScheduler } from "./catalog/feed-scheduler.js";
import { FeedImporter } from "./catalog/import.js";
import { createDecisionRecorder, type DecisionRecorder, noDecisionLog } from "./decisions/recorder.js";
import { FlowEngine } from "./flows/engine.js";
import { Links } from "./links/links.js";
import type { CatalogStore } from "./ports/catalog.js";
import type { Clock, Logger, RandomBytes, TrackEvent } from "./ports/index.js";
import { silentLogger } from "./ports/index.js";
import type { Signals } from "./ports/signals.js";
import { RecipientProof } from "./profiles/recipient-proof.js";
import { BlockRules } from "./rules/engine.js";
import { weatherForRules } from "./rules/weather-for.js";
import { createSending, type Sending } from "./sending/index.js";
import { type AppDeps, systemClock, webRandom } from "./services.js";
import { createMemorySignals } from "./signals/memory-signals.js";
import { RecentActivity } from "./tracking/recent-activity.js";
import { Tracker } from "./tracking/track.js";
import { isSignedId, newSignedId } from "./util/ids.js";
import { createSigner, type Signer } from "./util/signer.js";
import { WeatherService } from "./weather/service.js";
import { createWebhookProviders, type WebhookProvider } from "./webhooks/index.js";

export interface Services extends AppDeps {
  clock: Clock;
  random: RandomBytes;
  logger: Logger;
  signer: Signer;
  links: Links;
  tracker: Tracker;
  /** Block ids carry an HMAC like link ids: forged ones never reach the store. */
  blockIds: { create(): Promise<string>; verify(id: string): Promise<boolean> };
  images: ImageService;
  /** Price cards; shares the images' render cache (one byte bound, one set of metrics). */
  prices: PriceBlocks;
  /** Catalog feeds fetched now (POST /v1/products/import) or on schedule. */
  feedImporter: FeedImporter;
  /** Current weather for weather cards (cached per place); absent without a provider. */
  weatherService?: WeatherService;
  /** Every block type this server can render, by type: what /i/ and /v1/blocks dispatch on. */
  blockKinds: BlockKinds;
  /** Enabled ESP webhook providers by name. */
  webhookProviders: Map<string, WebhookProvider>;
  /** Checks `us`, the proof that an image URL was written for its `u` (profile-driven content). */
  recipientProof: RecipientProof;
  /** Variants of any block: which one an open sees (rules compiled once per block version). */
  rules: BlockRules;
  /** What each open was shown (group commit in front of the DecisionLog port). */
  decisions: DecisionRecorder;
  /** What happened, for whoever acts on it (sending joins ESP events to its attempts). */
  signals: Signals;
  /** Templates, the Messenger and its outbox; absent without AppDeps.sending and profiles. */
  sendingService?: Sending;
  /** Flows: triggers, runs and their timers; absent without AppDeps.flows and profiles. */
  flowEngine?: FlowEngine;
}

/**
 * The catalog as every writer sees it (PUT /v1/products, feed imports): the one place a
 * write's price drops and restocks become `catalog` signals.
 */
function signalledCatalog(catalog: CatalogStore, signals: Signals): CatalogStore {
  return {
    ...catalog,
    get: (id) => catalog.get(id),
    history: (id, limit) => catalog.history(id, limit),
    async upsertMany(products, at) {
      const result = await catalog.upsertMany(products, at);
      for (const ch of result.changes ?? []) signals.emit({ type: "catalog", ...ch, at });
      return result;
    },
  };
}

/** Built once per app: the services every handler reaches through c.get("services"). */
export function buildServices(deps: AppDeps): Services {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? webRandom;
  const logger = deps.logger ?? silentLogger;
  const signer = deps.signer ?? createSigner(deps.config.OPENTIME_SECRET);
  const links = new Links(deps.store.links, signer, clock, random);
  // Opens and clicks also feed the profiles (batched there; the response never waits),
  // unless the event log's writer does it off this thread (see profilesFedByEventLog).
  const profiles = deps.profilesFedByEventLog ? undefined : deps.profiles;
  const signals = deps.signals ?? createMemorySignals(logger);
  const catalog = deps.catalog && signalledCatalog(deps.catalog, signals);
  const onTracked = (e: TrackEvent) => {
    profiles?.noteTrackEvent(e);
    if (e.recipient && e.corrects === undefined)
      signals.emit({
        type: e.kind,
        recipient: e.recipient,
        campaign: e.campaign,
        linkId: e.linkId,
        class: e.class,
        at: e.at,
      });
  };
  const tracker = new Tracker(deps.recorder, new RecentActivity(), clock, deps.metrics, onTracked);
  const blockIds = {
    create: () => newSignedId(signer, "block", random),
    verify: (id: string) => isSignedId(signer, "block", id),
  };
  const images = new ImageService(deps.countdown, deps.store.blocks, clock);
  const productImages = new ProductImages(deps.fetcher, clock, logger);
  const prices = new PriceBlocks(deps.cards, catalog, clock, images.cache, productImages, {
    assets: deps.cardAssets ?? noCardAssets,
    renderer: deps.layoutCards,
  });
  const feedImporter = new FeedImporter(deps.fetcher, catalog, clock, (ids) => {
    for (const id of ids) prices.forgetProduct(id);
  });
  if (deps.feeds && deps.intervals && feedImporter.available)
    new FeedScheduler(deps.feeds, feedImporter, clock, logger).start(deps.intervals, deps.feedTickMs);
  const weatherService = deps.weather && new WeatherService(deps.weather, clock, logger, deps.metrics);
  const blockKinds = new BlockKinds()
    .register(images.countdownKind())
    .register(prices.kind())
    .register(
      new WeatherBlocks(deps.cards, weatherService, images.cache, deps.cardAssets, deps.layoutCards).kind(),
    )
    .register(new BannerBlocks(deps.layoutCards ?? deps.cards, images.cache, deps.cardAssets).kind());
  deps.metrics.gauge(
    "opentime_render_cache_renders",
    "Images rendered (cache misses that rendered)",
    () => images.cache.renders,
  );
  deps.metrics.gauge(
    "opentime_render_cache_hits",
    "Image requests served from the render cache",
    () => images.cache.hits,
  );
  deps.metrics.gauge(
    "opentime_render_cache_bytes",
    "Bytes held by the render cache",
    () => images.cache.totalBytes,
  );
  const webhookProviders = createWebhookProviders(deps.webhooks);
  const recipientProof = new RecipientProof(signer);
  const rules = new BlockRules(random, weatherService && weatherForRules(weatherService));
  const decisions = deps.decisions ?? createDecisionRecorder({ log: noDecisionLog, logger });
  const sendingService =
    deps.sending && deps.profiles
      ? createSending(deps.sending, {
          profiles: deps.profiles,
          links,
          proof: recipientProof,
          publicUrl: () => deps.config.publicUrl,
          signals,
          metrics: deps.metrics,
          clock,
          random,
          logger,
          intervals: deps.intervals,
        })
      : undefined;
  const flowEngine =
    deps.flows && deps.profiles
      ? new FlowEngine({
          store: deps.flows.store,
          profiles: deps.profiles,
          signals,
          clock,
          random,
          logger,
          metrics: deps.metrics,
          messenger: sendingService?.messenger,
          leaseMs: deps.flows.leaseMs,
        })
      : undefined;
  flowEngine?.start(deps.intervals, deps.flows?.tickMs);
  return {
    ...deps,
    catalog,
    flowEngine,
    clock,
    random,
    logger,
    signer,
    links,
    tracker,
    blockIds,
    images,
    prices,
    feedImporter,
    weatherService,
    blockKinds,
    webhookProviders,
    recipientProof,
    rules,
    decisions,
    signals,
    sendingService,
  };
}
