import { AppAuth } from "./auth/sessions.js";
import { ImageService } from "./blocks/image-service.js";
import { BlockKinds } from "./blocks/kinds.js";
import { noCardAssets } from "./cards/assets.js";
import { BannerBlocks } from "./cards/banner-block.js";
import { DataBlocks } from "./cards/data-block.js";
import { OfferBlocks } from "./cards/offer-block.js";
import { PollBlocks } from "./cards/poll-block.js";
import { PriceBlocks } from "./cards/price-block.js";
import { ProductImages } from "./cards/product-images.js";
import { WeatherBlocks } from "./cards/weather-block.js";
import { FeedScheduler } from "./catalog/feed-scheduler.js";
import { FeedImporter } from "./catalog/import.js";
import { createDecisionRecorder, type DecisionRecorder, noDecisionLog } from "./decisions/recorder.js";
import { FlowEngine } from "./flows/engine.js";
import { DEFAULT_ATTRIBUTION_WINDOW_MS, startAttribution } from "./learning/attribution.js";
import { Learner } from "./learning/learner.js";
import { MemoryLearningStore } from "./learning/memory-store.js";
import { Scorer } from "./learning/scores.js";
import { Links } from "./links/links.js";
import { redeemCouponsOnOrders } from "./live/redeem.js";
import { OpenReadings, SourceService } from "./live/sources.js";
import type { CatalogStore } from "./ports/catalog.js";
import type { Clock, Logger, RandomBytes, TrackEvent } from "./ports/index.js";
import { silentLogger } from "./ports/index.js";
import type { Signals } from "./ports/signals.js";
import { RecipientProof } from "./profiles/recipient-proof.js";
import { RecsBlocks } from "./recs/block.js";
import { RecsEngine } from "./recs/engine.js";
import { createRecsService, type RecsService } from "./recs/service.js";
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
  /** The recommendation engine (absent without AppDeps.recs and a catalog). */
  recsEngine?: RecsEngine;
  /** `recs` blocks: tiles chosen per open (adaptive links read their options). */
  recsBlocks: RecsBlocks;
  /**
   * Recommendations as data for templates and flows, from the same engine as the block:
   * `services.recs.for(person, { count, strategies, filters })` (absent without the engine).
   */
  recs?: RecsService;
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
  /** Human impressions, clicks and credited orders per block arm; the bandit of optimised splits. */
  learner: Learner;
  /** Purchase propensity and churn risk per person (trained models, else heuristics). */
  scorer: Scorer;
  /** What each open was shown (group commit in front of the DecisionLog port). */
  decisions: DecisionRecorder;
  /** What happened, for whoever acts on it (sending joins ESP events to its attempts). */
  signals: Signals;
  /** Templates, the Messenger and its outbox; absent without AppDeps.sending and profiles. */
  sendingService?: Sending;
  /** Data sources at open (cache, last good value, history). */
  sourceService: SourceService;
  /** People's sign-in to the web app (/app); absent without AppDeps.users and passwords. */
  auth?: AppAuth;
  /** Open event streams (/v1/campaigns/:id/live), each by its stop: ended at shutdown. */
  liveStreams: Set<() => void>;
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
  const learningStore = deps.learning ?? new MemoryLearningStore();
  const learner = new Learner({
    store: learningStore,
    clock,
    random,
    logger,
    seed: deps.learningSeed,
  });
  const catalog = deps.catalog && signalledCatalog(deps.catalog, signals);
  const onTracked = (e: TrackEvent) => {
    profiles?.noteTrackEvent(e);
    // A scanner's clicks, counted as a person's until their burst gave them away.
    if (e.corrects === "human" && e.recipient && e.linkId?.includes("/"))
      learner.unclick(e.linkId, e.recipient, e.at);
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
  const recsEngine = deps.recsStore && catalog ? new RecsEngine(deps.recsStore, catalog, clock) : undefined;
  const recsBlocks = new RecsBlocks(deps.cards, recsEngine, catalog, images.cache, productImages, {
    assets: deps.cardAssets ?? noCardAssets,
    renderer: deps.layoutCards,
  });
  const feedImporter = new FeedImporter(deps.fetcher, catalog, clock, (ids) => {
    for (const id of ids) {
      prices.forgetProduct(id);
      recsBlocks.forgetProduct(id);
    }
  });
  if (deps.feeds && deps.intervals && feedImporter.available)
    new FeedScheduler(deps.feeds, feedImporter, clock, logger).start(deps.intervals, deps.feedTickMs);
  const weatherService = deps.weather && new WeatherService(deps.weather, clock, logger, deps.metrics);
  const sources = new SourceService(
    deps.sources,
    deps.fetcher,
    deps.sourceEnv ?? (() => undefined),
    clock,
    logger,
  );
  const readings = new OpenReadings(sources);
  const scorer = new Scorer(learningStore, logger, deps.scoreSource);
  // Retrained daily on the shop's own history (a refusal keeps the heuristic scores).
  if (deps.scoreSource && deps.intervals)
    deps.intervals.every(deps.scoreTrainMs ?? 86_400_000, async () => {
      await scorer.train(clock.now());
    });
  const rules = new BlockRules(
    random,
    weatherService && weatherForRules(weatherService),
    // A `data` condition reads the block's own source (the read its render shares).
    (block, open) => {
      const id = block.options.source;
      return typeof id === "string" ? readings.read(open, id).then((r) => r.value) : Promise.resolve(null);
    },
    learner,
    scorer,
  );
  const offers = new OfferBlocks(deps.cards, deps.coupons, rules, images.cache, clock, logger);
  if (deps.coupons) redeemCouponsOnOrders(signals, deps.coupons, logger);
  const blockKinds = new BlockKinds()
    .register(images.countdownKind())
    .register(prices.kind())
    .register(recsBlocks.kind())
    .register(
      new WeatherBlocks(deps.cards, weatherService, images.cache, deps.cardAssets, deps.layoutCards).kind(),
    )
    .register(new BannerBlocks(deps.layoutCards ?? deps.cards, images.cache, deps.cardAssets).kind())
    .register(
      new DataBlocks(deps.cards, sources, readings, images.cache, deps.cardAssets, deps.layoutCards).kind(),
    )
    .register(new PollBlocks(deps.cards, deps.polls, images.cache, clock, logger).kind())
    .register(offers.kind());
  deps.metrics.countedBy(
    "opentime_source_failures_total",
    "Data source fetches that failed (their last good value was served)",
    () => sources.failures,
  );
  deps.metrics.countedBy(
    "opentime_coupon_pool_low_total",
    "Coupon grants that left their pool at or under the offer's lowPoolAlert",
    () => offers.lowPoolAlerts,
  );
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
  const decisions = deps.decisions ?? createDecisionRecorder({ log: noDecisionLog, logger });
  // Last clicks older than any attribution window are of no use: dropped hourly.
  const attributionWindowMs = deps.attributionWindowMs ?? DEFAULT_ATTRIBUTION_WINDOW_MS;
  deps.intervals?.every(3_600_000, async () => {
    await learningStore.pruneTouches(clock.now() - attributionWindowMs);
  });
  // Orders credited to the human click before them (needs the profiles to know who clicked).
  if (deps.profiles) {
    const found = deps.profiles;
    startAttribution({
      signals,
      learner,
      findProfile: (id) => found.find(id, { history: false }),
      logger,
      windowMs: attributionWindowMs,
    });
  }
  const sendingService =
    deps.sending && deps.profiles
      ? createSending(deps.sending, {
          profiles: deps.profiles,
          links,
          proof: recipientProof,
          signer,
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
  const auth =
    deps.users && deps.passwords ? new AppAuth(deps.users, deps.passwords, clock, random) : undefined;
  return {
    ...deps,
    auth,
    catalog,
    flowEngine,
    liveStreams: new Set(),
    clock,
    random,
    logger,
    signer,
    links,
    tracker,
    blockIds,
    images,
    prices,
    recsEngine,
    recsBlocks,
    recs: recsEngine && createRecsService(recsEngine, deps.profiles),
    feedImporter,
    weatherService,
    blockKinds,
    webhookProviders,
    recipientProof,
    rules,
    learner,
    scorer,
    decisions,
    signals,
    sendingService,
    sourceService: sources,
  };
}
