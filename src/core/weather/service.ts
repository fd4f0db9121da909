/**
 * Current weather for image opens, in front of a WeatherProvider.
 *
 * A campaign's opens arrive in bursts from a few thousand places, and a weather image must
 * answer quickly whatever the provider does, so:
 * - one cache entry per grid cell (0.1°, ~11 km: weather does not change within it), fresh
 *   for `ttlMs`, in a bounded LRU; the provider is asked for the cell's centre, so the
 *   recipient's exact position never leaves this server;
 * - single-flight: concurrent misses for a cell share one provider request;
 * - a time budget per open: past it the open answers with the cell's last known value (or
 *   none) while the request finishes into the cache for the next opener;
 * - a failed request leaves the last known value in place (served up to `maxStaleMs`) and
 *   backs off, per cell and — after a few failures in a row anywhere — for the whole
 *   provider, so a down provider is not hammered by every open;
 * - a request rate cap, so URL-chosen locations (`?lat=&lon=`) cannot turn the image route
 *   into a flood against the provider's rate limits.
 *
 * Data age (TTL, staleness, backoff) runs on the injected clock; the budget and the request
 * timeout are real elapsed time (setTimeout), since they bound how long a recipient waits.
 */
import type { Metrics } from "../metrics.js";
import type { Clock, Logger } from "../ports/index.js";
import { silentLogger } from "../ports/index.js";
import type { WeatherNow, WeatherProvider } from "../ports/weather.js";
import { Lru } from "../util/lru.js";

export interface WeatherSettings {
  provider: WeatherProvider;
  /** How long a fetched value is current (OPENTIME_WEATHER_TTL_S). */
  ttlMs?: number;
  /** The longest an open waits for the provider. */
  budgetMs?: number;
  /** Cell size in degrees: locations in one cell share a value and a request. */
  gridDeg?: number;
  /** A last known value older than this is not shown (neutral content instead). */
  maxStaleMs?: number;
  /** A request still running after this is aborted (it no longer holds anyone up, only a socket). */
  fetchTimeoutMs?: number;
  /** Cells remembered (each ~200 bytes). */
  maxCells?: number;
  /** Provider requests started per minute at most. */
  requestsPerMinute?: number;
}

/** Why an open got no current value; absent when it got one (fresh, or stale after a failure). */
export type WeatherMiss = "timeout" | "provider_error" | "backoff" | "rate_limited";

export interface WeatherLookup {
  weather: WeatherNow | null;
  /** True when `weather` is a last known value, older than the TTL. */
  stale: boolean;
  /** Set when no fresh value could be had in time. */
  miss?: WeatherMiss;
}

interface Cell {
  value: WeatherNow | null;
  /** Clock time of the last successful request. */
  fetchedAt: number;
  /** Failures in a row for this cell, and when it may be asked again. */
  failures: number;
  retryAt: number;
  /** The request in flight (resolves true on success; never rejects) and when its budget ends (real ms). */
  inflight?: Promise<boolean>;
  budgetEndsAt?: number;
}

/** Failures in a row (any cells) after which the whole provider backs off. */
const PROVIDER_DOWN_AFTER = 3;
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 5 * 60_000;
const backoff = (n: number) => Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, n - 1));

export class WeatherService {
  private readonly provider: WeatherProvider;
  private readonly ttlMs: number;
  private readonly budgetMs: number;
  private readonly gridDeg: number;
  private readonly maxStaleMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly requestsPerMinute: number;
  private readonly cells: Lru<string, Cell>;
  private failuresInARow = 0;
  private downUntil = 0;
  // Token bucket: `requestsPerMinute` tokens, refilled continuously on the clock.
  private tokens: number;
  private tokensAt: number;
  /** Counters for /metrics. */
  readonly stats = { requests: 0, failures: 0, hits: 0, misses: 0 };

  constructor(
    s: WeatherSettings,
    private readonly clock: Clock,
    private readonly logger: Logger = silentLogger,
    metrics?: Metrics,
  ) {
    this.provider = s.provider;
    this.ttlMs = s.ttlMs ?? 900_000;
    this.budgetMs = s.budgetMs ?? 800;
    this.gridDeg = s.gridDeg ?? 0.1;
    this.maxStaleMs = s.maxStaleMs ?? 6 * 3600_000;
    this.fetchTimeoutMs = s.fetchTimeoutMs ?? 5000;
    this.requestsPerMinute = s.requestsPerMinute ?? 300;
    this.cells = new Lru(s.maxCells ?? 10_000);
    this.tokens = this.requestsPerMinute;
    this.tokensAt = clock.now();
    metrics?.gauge(
      "opentime_weather_requests",
      "Requests made to the weather provider",
      () => this.stats.requests,
    );
    metrics?.gauge(
      "opentime_weather_failures",
      "Weather provider requests that failed",
      () => this.stats.failures,
    );
    metrics?.gauge(
      "opentime_weather_cache_hits",
      "Weather lookups answered from the cache",
      () => this.stats.hits,
    );
  }

  /** The weather at a place now, or null when none can be had within the budget. */
  async forLocation(lat: number, lon: number): Promise<WeatherNow | null> {
    return (await this.lookup(lat, lon)).weather;
  }

  /** Like forLocation, saying whether the value is stale and why a fresh one was missing. */
  async lookup(lat: number, lon: number): Promise<WeatherLookup> {
    if (!isLatLon(lat, lon)) return { weather: null, stale: false };
    const { key, cellLat, cellLon } = this.cellOf(lat, lon);
    const now = this.clock.now();
    let cell = this.cells.get(key);
    if (cell?.value && now >= cell.fetchedAt && now - cell.fetchedAt < this.ttlMs) {
      this.stats.hits++;
      return { weather: cell.value, stale: false };
    }
    this.stats.misses++;
    if (!cell) {
      cell = { value: null, fetchedAt: 0, failures: 0, retryAt: 0 };
      this.cells.set(key, cell);
    }
    if (!cell.inflight) {
      if (now < this.downUntil || now < cell.retryAt) return this.lastKnown(cell, now, "backoff");
      if (!this.takeToken(now)) return this.lastKnown(cell, now, "rate_limited");
      cell.budgetEndsAt = Date.now() + this.budgetMs;
      cell.inflight = this.request(key, cell, cellLat, cellLon);
    }
    // Opens that join a request already running share its budget: nobody waits past it.
    const wait = Math.max(0, (cell.budgetEndsAt ?? 0) - Date.now());
    const ok = await raceTimeout(cell.inflight, wait);
    if (ok === true) return { weather: cell.value, stale: false };
    return this.lastKnown(cell, this.clock.now(), ok === false ? "provider_error" : "timeout");
  }

  private lastKnown(cell: Cell, now: number, miss: WeatherMiss): WeatherLookup {
    const usable = cell.value !== null && now - cell.fetchedAt <= this.maxStaleMs;
    return usable ? { weather: cell.value, stale: true } : { weather: null, stale: false, miss };
  }

  private async request(key: string, cell: Cell, lat: number, lon: number): Promise<boolean> {
    this.stats.requests++;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.fetchTimeoutMs);
    try {
      const value = await this.provider.current(lat, lon, abort.signal);
      cell.value = value;
      cell.fetchedAt = this.clock.now();
      cell.failures = 0;
      cell.retryAt = 0;
      this.failuresInARow = 0;
      this.downUntil = 0;
      // The entry may have been evicted while the request ran; what it fetched is still good.
      this.cells.set(key, cell);
      return true;
    } catch (err) {
      const now = this.clock.now();
      this.stats.failures++;
      cell.failures++;
      cell.retryAt = now + backoff(cell.failures);
      this.failuresInARow++;
      if (this.failuresInARow >= PROVIDER_DOWN_AFTER)
        this.downUntil = now + backoff(this.failuresInARow - PROVIDER_DOWN_AFTER + 1);
      this.logger.warn(
        { err: (err as Error).message, cell: key, failuresInARow: this.failuresInARow },
        "weather request failed",
      );
      return false;
    } finally {
      clearTimeout(timer);
      cell.inflight = undefined;
    }
  }

  private takeToken(now: number): boolean {
    const elapsed = Math.max(0, now - this.tokensAt);
    this.tokens = Math.min(this.requestsPerMinute, this.tokens + (elapsed * this.requestsPerMinute) / 60_000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  private cellOf(lat: number, lon: number) {
    const g = this.gridDeg;
    const i = Math.round(lat / g);
    // Longitude wraps: 180 and -180 are one meridian, so they share a cell.
    let j = Math.round(lon / g);
    const half = Math.round(180 / g);
    if (j >= half) j -= 2 * half;
    const cellLat = Math.max(-90, Math.min(90, i * g));
    return { key: `${i}:${j}`, cellLat, cellLon: j * g };
  }
}

export function isLatLon(lat: number, lon: number): boolean {
  return Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
}

/** The promise's value, or undefined when it has not settled within `ms`. */
function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return Promise.race([p, Promise.resolve(undefined)]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<undefined>((res) => {
    timer = setTimeout(() => res(undefined), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
