import type { Context } from "hono";
import type { CountdownKit } from "./blocks/countdown-block.js";
import type { Config } from "./config.js";
import type { Metrics } from "./metrics.js";
import type { Clock, Logger, RandomBytes, Store } from "./ports/index.js";
import type { ProfileService } from "./profiles/service.js";
import type { Recorder } from "./tracking/recorder.js";
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
  /** Trust the first X-Forwarded-For hop (only behind a proxy you run). */
  trustProxy?: boolean;
  /** Countdown rendering (glyph rasterizer, expired images, still encoder); absent: no countdowns. */
  countdown?: CountdownKit;
  /** ESP webhook providers to enable, with their secrets (absent: POST /v1/webhooks/* → 404). */
  webhooks?: WebhookSettings;
  /** Where verified ESP events go; defaults to the profile service's applyEmailEvent. */
  emailEvents?: EmailEventSink;
  /** Live profiles and Segment ingestion (absent: /v1/track… and /v1/profiles answer 503). */
  profiles?: ProfileService;
  /** Segment write keys (OPENTIME_WRITE_KEY); empty: ingestion answers 401. */
  writeKeys?: string[];
}

export const systemClock: Clock = { now: () => Date.now() };
export const webRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
