import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { type AppDeps, createApp } from "../core/app.js";
import { type Config, publicUrlOf } from "../core/config.js";
import { createDecisionRecorder } from "../core/decisions/recorder.js";
import type { FlowEngine } from "../core/flows/engine.js";
import { ENV_NAME_RE } from "../core/live/source-schema.js";
import { Metrics } from "../core/metrics.js";
import type { Logger } from "../core/ports/index.js";
import { silentLogger } from "../core/ports/index.js";
import type { Sending } from "../core/sending/index.js";
import { createRecorder } from "../core/tracking/recorder.js";
import { createOpenMeteoProvider } from "../core/weather/open-meteo.js";
import { webhookSettingsFromConfig } from "../core/webhooks/settings.js";
import { loadAppAssets } from "./app-assets.js";
import { createScryptHasher } from "./auth/scrypt.js";
import { loadCardAssets } from "./cards/assets.js";
import { createLayoutRenderer } from "./cards/layout-renderer.js";
import { createSatoriRenderer } from "./cards/satori-renderer.js";
import { createCountdownKit } from "./countdown-kit.js";
import { DB_FILE, privateDataDir } from "./data-dir.js";
import { withFastPath } from "./fast-listener.js";
import { createGuardedFetcher } from "./fetch/guarded-fetcher.js";
import { applyFlows, readFlowsDir } from "./flows-dir.js";
import { createNodeIntervals } from "./intervals.js";
import { closeIdleAfterReads } from "./keep-alive.js";
import { createNodeSigner } from "./node-signer.js";
import { ThreadedProfiles } from "./profiles/threaded-profiles.js";
import { channelsFromConfig, sendingSettingsFromConfig } from "./sending/channels.js";
import { createThreadedSendingStore } from "./sending/threaded-sending-store.js";
import { createSqliteCatalogStore } from "./sqlite/catalog-store.js";
import { createSqliteDecisionLog } from "./sqlite/decision-store.js";
import { createSqliteFeedStore } from "./sqlite/feed-store.js";
import { SqliteFlowStore } from "./sqlite/flow-store.js";
import { SqliteLearningStore, sqliteScoreSource } from "./sqlite/learning-store.js";
import {
  createSqliteCouponStore,
  createSqlitePollStore,
  createSqliteSourceStore,
} from "./sqlite/live-store.js";
import { createSqliteRecsStore } from "./sqlite/recs-store.js";
import { createSqliteStore } from "./sqlite/store.js";
import { SqliteUserStore } from "./sqlite/user-store.js";
import { renderLockWaits } from "./sqlite/write-lock.js";
import { closeUnreadBodies } from "./unread-body.js";

export interface RunningServer {
  port: number;
  url: string;
  /** While no one can sign in to /app: the one-time link that creates the first admin. */
  setupUrl?: string;
  /** Templates, the Messenger (what flows send through) and its outbox. */
  sending?: Sending;
  /** Flows: definitions, runs and their timers. */
  flows?: FlowEngine;
  close(): Promise<void>;
}

export { DB_FILE };

/** One header off Node's IncomingMessage (already parsed), without building Web Headers. */
function nodeRequestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/** The one place real adapters are built and wired into the core. */
/**
 * `extraDeps` replaces deps built here; tests use it for stand-ins that must never come
 * from the environment (e.g. a loopback "SNS host" for webhook verification).
 */
export async function startServer(
  config: Config,
  logger: Logger = silentLogger,
  extraDeps: Partial<AppDeps> = {},
): Promise<RunningServer> {
  privateDataDir(config.OPENTIME_DATA_DIR);
  const flowFiles = config.OPENTIME_FLOWS_DIR ? readFlowsDir(config.OPENTIME_FLOWS_DIR) : [];
  // The event-writer thread also applies opens/clicks to the profiles (off this thread).
  const store = createSqliteStore(join(config.OPENTIME_DATA_DIR, DB_FILE), {
    offThreadWrites: true,
    offThreadProfiles: { secret: config.OPENTIME_SECRET, logger, foldMs: config.OPENTIME_ACTIVITY_FOLD_MS },
    batchMs: config.OPENTIME_BATCH_MS,
    retentionDays: config.OPENTIME_EVENT_RETENTION_DAYS,
  });
  const metrics = new Metrics();
  const recorder = createRecorder({
    events: store.events,
    windowMs: config.OPENTIME_BATCH_MS,
    maxBatch: config.OPENTIME_BATCH_MAX,
    logger,
    onFlush: (size, ms) => {
      metrics.eventsWritten.inc({}, size);
      metrics.batchSize.observe({}, size);
      metrics.batchSeconds.observe({}, ms / 1000);
    },
  });
  metrics.gauge(
    "opentime_events_pending",
    "Events waiting for the next group commit",
    () => recorder.pending,
  );
  metrics.countedBy(
    "opentime_events_dropped_total",
    "Opens and clicks dropped, oldest first, while the store took no batch and the buffer was full",
    () => recorder.dropped,
  );

  // Profiles share the SQLite file. Acknowledged Segment/ESP events and erasures are
  // group-committed on the profile-writer thread, opens/clicks go to email activity on the
  // event-writer thread (profilesFedByEventLog below); reads run on this connection. The
  // writers take the write lock with BEGIN IMMEDIATE (profile-store.ts, store.ts).
  const signer = createNodeSigner(config.OPENTIME_SECRET);
  const profiles = new ThreadedProfiles(
    store.db,
    join(config.OPENTIME_DATA_DIR, DB_FILE),
    config.OPENTIME_SECRET,
    logger,
  );

  metrics.gauge("process_resident_memory_bytes", "Resident memory of this process", () =>
    process.memoryUsage.rss(),
  );
  // Waits for the SQLite file's write lock, of all three writing threads (write-lock.ts).
  metrics.external(renderLockWaits);

  // Scheduled work (feed imports): stopped, and waited for, before the store closes.
  const intervals = createNodeIntervals(logger);

  // What each open of a block showed (variants, slot URLs): group-committed like events.
  const decisions = createDecisionRecorder({
    log: createSqliteDecisionLog(store.db, {
      writeOffThread: store.writeDecisions,
      purgeOffThread: store.purgeBlocks,
      eraseOffThread: store.eraseDecisions,
    }),
    windowMs: config.OPENTIME_BATCH_MS,
    logger,
  });
  metrics.gauge(
    "opentime_decisions_pending",
    "Render decisions waiting for the next group commit",
    () => decisions.pending,
  );
  metrics.countedBy(
    "opentime_decisions_dropped_total",
    "Render decisions dropped, oldest first, while the store took no batch and the buffer was full",
    () => decisions.dropped,
  );

  let publicUrl = publicUrlOf(config);
  const deps = {
    config: {
      OPENTIME_API_KEY: config.OPENTIME_API_KEY,
      OPENTIME_SECRET: config.OPENTIME_SECRET,
      get publicUrl() {
        return publicUrl;
      },
    },
    store,
    recorder,
    metrics,
    signer,
    logger,
    trustProxy: config.OPENTIME_TRUST_PROXY,
    unsignedProfiles: config.OPENTIME_UNSIGNED_PROFILES,
    clientIp: (c: Parameters<typeof getConnInfo>[0]) => getConnInfo(c).remote.address ?? null,
    requestHeader: nodeRequestHeader,
    webhooks: webhookSettingsFromConfig(config),
    profiles,
    profilesFedByEventLog: true,
    writeKeys: (config.OPENTIME_WRITE_KEY ?? "")
      .split(",")
      .map((k) => k.trim())
      .filter(Boolean),
    countdown: await createCountdownKit({
      fontDirs: config.OPENTIME_FONTS_DIR ? [config.OPENTIME_FONTS_DIR] : undefined,
    }),
    // Price cards: fonts read once here; the catalog shares the SQLite file.
    cards: await createSatoriRenderer(),
    catalog: createSqliteCatalogStore(store.db, { upsertOffThread: store.upsertProducts }),
    // Recommendations read here; the profile writer thread writes them with each group.
    recsStore: createSqliteRecsStore(store.db),
    decisions,
    // Counters per block arm, last clicks, credited orders, score models: same file.
    learning: new SqliteLearningStore(store.db),
    scoreSource: sqliteScoreSource(store.db),
    // Feeds and product images: only OPENTIME_FETCH_ALLOW hosts, never a private address.
    fetcher: createGuardedFetcher({
      allow: config.OPENTIME_FETCH_ALLOW,
      maxBytes: config.OPENTIME_FETCH_MAX_BYTES,
      timeoutMs: config.OPENTIME_FETCH_TIMEOUT_MS,
    }),
    feeds: createSqliteFeedStore(store.db),
    // Live content: data sources (their header values read from OPENTIME_SOURCE_* only),
    // poll votes, coupon pools and offer grants, all in the same SQLite file.
    sources: createSqliteSourceStore(store.db),
    sourceEnv: (name: string) => (ENV_NAME_RE.test(name) ? process.env[name] : undefined),
    polls: createSqlitePollStore(store.db),
    coupons: createSqliteCouponStore(store.db),
    intervals,
    // Weather and banner cards: assets/ read once here; weather from OPENTIME_WEATHER_URL.
    cardAssets: loadCardAssets(),
    layoutCards: await createLayoutRenderer(),
    weather: {
      provider: createOpenMeteoProvider({ baseUrl: config.OPENTIME_WEATHER_URL }),
      ttlMs: config.OPENTIME_WEATHER_TTL_S * 1000,
    },
    // Templates and every send attempt share the SQLite file; each configured provider
    // carries the channels routed to it. Sends left queued by a stop or crash resume now.
    sending: {
      store: createThreadedSendingStore(store.db, join(config.OPENTIME_DATA_DIR, DB_FILE), logger),
      channels: channelsFromConfig(config, extraDeps.clock ?? { now: () => Date.now() }),
      settings: sendingSettingsFromConfig(config),
    },
    // Flow runs and timers share the SQLite file; due timers resume at once after a restart.
    flows: { store: new SqliteFlowStore(store.db), leaseMs: config.OPENTIME_FLOW_LEASE_MS },
  };
  // People who sign in to /app share the SQLite file; the app's files are read once.
  const app = createApp({
    ...deps,
    users: new SqliteUserStore(store.db),
    passwords: createScryptHasher(),
    appAssets: loadAppAssets(),
    ...extraDeps,
  });
  const sending = app.services.sendingService;
  const flows = app.services.flowEngine;
  if (flows) await applyFlows(flowFiles, flows, logger);

  // @hono/node-server's listener behind the core's fast path for opens and clicks (what
  // serve() builds, with that one step in front).
  const listener = withFastPath(
    app.fastPath,
    closeUnreadBodies(getRequestListener(app.fetch, { hostname: config.HOST })),
    logger,
  );
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createHttpServer(listener);
    closeIdleAfterReads(s);
    s.once("error", reject);
    s.listen(config.PORT, config.HOST, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  if (!config.OPENTIME_PUBLIC_URL) publicUrl = publicUrlOf(config, port);
  logger.info({ port, publicUrl, dataDir: config.OPENTIME_DATA_DIR }, "opentime listening");
  const setupToken = await app.services.auth?.setupToken();
  const setupUrl = setupToken ? `${publicUrl}/app/#/setup/${setupToken}` : undefined;

  let closing: Promise<void> | null = null;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    setupUrl,
    sending,
    flows,
    close() {
      // Graceful: stop accepting, let in-flight requests finish, flush every buffered
      // event, then close the store.
      closing ??= (async () => {
        for (const stop of app.services.liveStreams) stop();
        await new Promise<void>((res) => {
          server.close(() => res());
          // Keep-alive sockets would hold close() open; idle ones can go now, busy ones
          // close after their response.
          (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        await intervals.close();
        // Runs being advanced finish their step; waiting ones stay in the store for the next start.
        await flows?.close();
        // Sends with a provider finish and are recorded; the rest stay queued for the next start.
        await sending?.close();
        await recorder.close();
        await decisions.close();
        await app.services.learner.close();
        await profiles.close();
        await store.close();
        logger.info({}, "opentime stopped");
      })();
      return closing;
    },
  };
}
