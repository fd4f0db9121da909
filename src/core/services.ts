import type { Context } from "hono";
import type { Config } from "./config.js";
import type { Metrics } from "./metrics.js";
import type { Clock, Logger, RandomBytes, Store } from "./ports/index.js";
import type { Recorder } from "./tracking/recorder.js";

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
}

export const systemClock: Clock = { now: () => Date.now() };
export const webRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
