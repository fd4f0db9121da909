import type { Context } from "hono";
import type { CountdownKit } from "./blocks/countdown-block.js";
import type { CardAssets } from "./cards/assets.js";
import type { CardRenderer } from "./cards/types.js";
import type { Config } from "./config.js";
import type { DecisionRecorder } from "./decisions/recorder.js";
import type { Metrics } from "./metrics.js";
import type { CatalogStore } from "./ports/catalog.js";
import type { FeedStore } from "./ports/feeds.js";
import type { Fetcher } from "./ports/fetch.js";
import type { FlowStore } from "./ports/flows.js";
import type { Clock, Logger, RandomBytes, Store } from "./ports/index.js";
import type { Intervals } from "./ports/intervals.js";
import type { LearningStore } from "./ports/learning.js";
import type { CouponStore, PollStore, SourceStore } from "./ports/live.js";
import type { RecsStore } from "./ports/recs.js";
import type { Signals } from "./ports/signals.js";
import type { PasswordHasher, UserStore } from "./ports/users.js";
import type { Profiles } from "./profiles/service.js";
import type { SendingDeps } from "./sending/index.js";
import type { TrustProxy } from "./tracking/client-ip.js";
import type { Recorder } from "./tracking/recorder.js";
import type { Signer } from "./util/signer.js";
import type { WeatherSettings } from "./weather/service.js";
import type { EmailEventSink, WebhookSettings } from "./webhooks/index.js";

/** What createApp needs: ports and settings, all injected (time, randomness and ids too). */
export interface AppDeps {
  config: Pick<Config, "OPENTIME_API_KEY" | "OPENTIME_SECRET"> & { publicUrl: string };
  store: Store;
  recorder: Recorder;
  metrics: Metrics;
  clock?: Clock;
  random?: RandomBytes;
  logger?: Logger;
  /** The client address as the runtime sees it (adapter-specific); null when unknown. */
  clientIp?: (c: Context) => string | null;
  /**
   * Reads one request header (lowercase name) straight off the runtime's request, for the
   * recipient-facing hot path (see hotHeader); absent: c.req.header().
   */
  requestHeader?: (c: Context, name: string) => string | undefined;
  /** HMAC for link/block ids and signed URLs; defaults to Web Crypto (Node passes a faster one). */
  signer?: Signer;
  /** Which X-Forwarded-For entries to believe (OPENTIME_TRUST_PROXY); absent: none. */
  trustProxy?: TrustProxy | null;
  /** Profile-driven image content for any `u`, without the `us` proof (OPENTIME_UNSIGNED_PROFILES). */
  unsignedProfiles?: boolean;
  /** Countdown rendering (glyph rasterizer, expired images, still encoder); absent: no countdowns. */
  countdown?: CountdownKit;
  /** Card rendering (satori → resvg → sharp in Node); absent: no price cards. */
  cards?: CardRenderer;
  /**
   * Card rendering for banners, whose operator-defined layouts can put boxes outside the
   * card: the same pipeline after dropping those boxes (in Node, resvg aborts the process on
   * some of them; see src/node/cards/layout-renderer.ts). Absent: banners use `cards`.
   */
  layoutCards?: CardRenderer;
  /** Images from assets/ that cards (weather, banner) may draw by file name; absent: data: URLs only. */
  cardAssets?: CardAssets;
  /** The weather provider and its caching for weather cards (absent: they show their neutral content). */
  weather?: WeatherSettings;
  /** The product catalog behind price cards (absent: /v1/products answers 503). */
  catalog?: CatalogStore;
  /**
   * Every outbound fetch of remote content (catalog feeds, product images) goes through it:
   * allowlisted hosts, no private addresses, bounded (absent: nothing remote is fetched).
   */
  fetcher?: Fetcher;
  /**
   * What recommendations learn from events and read at open (co-occurrence, popularity,
   * each person's products); absent: no `recs` blocks and services.recs answers best-effort
   * nothing. Its writes come from the profile writer (ProfileServiceOptions.recs).
   */
  recsStore?: RecsStore;
  /** Catalog feeds imported on a schedule (absent: POST /v1/products/import with `every` answers 503). */
  feeds?: FeedStore;
  /** Repeating background work (scheduled feed imports); absent: nothing runs on its own. */
  intervals?: Intervals;
  /** How often due feeds are looked for (default 30 s; tests shorten it). */
  feedTickMs?: number;
  /** ESP webhook providers to enable, with their secrets (absent: POST /v1/webhooks/* → 404). */
  webhooks?: WebhookSettings;
  /** Where verified ESP events go; defaults to the profile service's applyEmailEvent. */
  emailEvents?: EmailEventSink;
  /** Live profiles and Segment ingestion (absent: /v1/track… and /v1/profiles answer 503). */
  profiles?: Profiles;
  /**
   * Opens/clicks reach the profiles some other way (the Node server: its event-writer
   * thread applies each committed batch), so the Tracker must not also hand them to
   * `profiles` (they would count twice). Absent/false: the Tracker feeds `profiles`
   * in-process (in-memory stores, core tests).
   */
  profilesFedByEventLog?: boolean;
  /** Segment write keys (OPENTIME_WRITE_KEY); empty: ingestion answers 401. */
  writeKeys?: string[];
  /**
   * The decision log behind a group commit (which variant each open showed; adaptive links
   * and per-variant stats read it). Absent: nothing is kept, adaptive links use the block's
   * default slots and per-variant stats are zero.
   */
  decisions?: DecisionRecorder;
  /**
   * Templates, the Messenger flows send through, and every attempt (needs `profiles`).
   * Absent: /v1/templates and the sends routes answer 503 and there is no Messenger.
   */
  sending?: SendingDeps;
  /**
   * Counters per block arm, last clicks and credited orders, trained score models
   * (absent: kept in memory only).
   */
  learning?: LearningStore;
  /** People and their stored events, for training the predictive scores (absent: heuristics only). */
  scoreSource?: import("./learning/scores.js").ScoreSource;
  /** How often the scores are retrained (default daily; needs `intervals`). */
  scoreTrainMs?: number;
  /** Seeds the bandit's sampler (tests); absent: from `random`. */
  learningSeed?: number;
  /** Orders are credited to a human click this long before them (default 7 days). */
  attributionWindowMs?: number;
  /** The signal bus (what happened: events, opens, clicks, ESP events); default: in-process. */
  signals?: Signals;
  /**
   * Flows: their store, and how often due timers are looked for (default 250 ms). Needs
   * `profiles`; sends need `sending`. Absent: /v1/flows answers 503.
   */
  flows?: { store: FlowStore; tickMs?: number; leaseMs?: number };
  /** Data sources behind `data` blocks (absent: /v1/sources answers 503, no data blocks). */
  sources?: SourceStore;
  /**
   * A source header's value by the environment variable its source names (only
   * OPENTIME_SOURCE_* names reach it); absent: no variable is set.
   */
  sourceEnv?: (name: string) => string | undefined;
  /** Poll votes (absent: no poll blocks). */
  polls?: PollStore;
  /** Coupon pools and offer grants (absent: /v1/coupons answers 503, no offer blocks). */
  coupons?: CouponStore;
  /** People who sign in to the web app, and their sessions (absent: no sign-in; the API key only). */
  users?: UserStore;
  /** Password hashing for those people (scrypt in Node). */
  passwords?: PasswordHasher;
  /** The web app's built files (absent: /app answers 404). */
  appAssets?: AppAssets;
}

/** A built static file of the web app. */
export interface AppAsset {
  body: Uint8Array;
  type: string;
  /** Content-hashed file names are cached for a year; index.html is revalidated. */
  immutable: boolean;
}

export interface AppAssets {
  get(path: string): AppAsset | undefined;
}

export const systemClock: Clock = { now: () => Date.now() };
export const webRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
