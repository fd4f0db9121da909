/**
 * WeatherProvider on Open-Meteo's forecast API (GET /v1/forecast?current=…), with fetch() only
 * so it runs on any runtime. One request per call; caching, staleness, time budgets and
 * backoff are WeatherService's job.
 *
 * Open-Meteo's data is CC BY 4.0 (attribution required) and its public API is free for
 * non-commercial use only: commercial senders point `baseUrl` at their own Open-Meteo
 * instance or a paid endpoint (OPENTIME_WEATHER_URL).
 */
import { z } from "zod";
import type { WeatherCondition, WeatherNow, WeatherProvider } from "../ports/weather.js";

export const OPEN_METEO_URL = "https://api.open-meteo.com";

/** An answer is a few hundred bytes; anything much larger is not Open-Meteo speaking. */
const MAX_BODY_BYTES = 64 * 1024;

// Open-Meteo writes non-finite numbers as null (JsonWriter.swift): z.number() refuses them,
// so a null temperature or code is a failed call, never a NaN drawn into an email. Fields we
// do not read are allowed (the API adds some now and then), the ones we read are checked.
const finite = z.number().finite();
const responseSchema = z.object({
  latitude: finite,
  longitude: finite,
  utc_offset_seconds: z
    .number()
    .int()
    .min(-18 * 3600)
    .max(18 * 3600),
  timezone: z.string().max(64),
  current_units: z.object({
    temperature_2m: z.enum(["°C", "°F"]),
    weather_code: z.string().max(16),
  }),
  current: z.object({
    // Local time of the place (timezone=auto), minutes precision, no offset.
    time: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, "expected YYYY-MM-DDTHH:mm"),
    interval: z.number().int().nonnegative(),
    temperature_2m: finite.min(-100).max(100),
    weather_code: z.number().int().min(0).max(99),
  }),
});

export type OpenMeteoResponse = z.infer<typeof responseSchema>;

/** A provider call that failed, with a short reason for logs (never shown to recipients). */
export class WeatherFetchError extends Error {
  constructor(readonly reason: string) {
    super(`weather provider: ${reason}`);
    this.name = "WeatherFetchError";
  }
}

/**
 * WMO weather code → the few conditions templates choose on (Open-Meteo's table of the codes it
 * sends, Helper/WeatherCode.swift in its source).
 * Freezing drizzle/rain count as drizzle/rain (what people dress for); hail as thunderstorm.
 * An unlisted code is a failure rather than a guess.
 */
export function conditionOf(code: number): WeatherCondition | null {
  if (code === 0 || code === 1) return "clear";
  if (code === 2 || code === 3) return "cloudy";
  if (code === 45 || code === 48) return "fog";
  if ([51, 53, 55, 56, 57].includes(code)) return "drizzle";
  if ([61, 63, 65, 66, 67, 80, 81, 82].includes(code)) return "rain";
  if ([71, 73, 75, 77, 85, 86].includes(code)) return "snow";
  if (code === 95 || code === 96 || code === 99) return "thunderstorm";
  return null;
}

/** Checks a response body and turns it into WeatherNow; throws WeatherFetchError when it is not usable. */
export function parseOpenMeteo(body: unknown): WeatherNow {
  const res = responseSchema.safeParse(body);
  if (!res.success) {
    const i = res.error.issues[0]!;
    throw new WeatherFetchError(`unexpected response: ${i.path.join(".")}: ${i.message}`);
  }
  const { current, current_units, utc_offset_seconds } = res.data;
  const condition = conditionOf(current.weather_code);
  if (!condition) throw new WeatherFetchError(`unknown weather code ${current.weather_code}`);
  const t = current.temperature_2m;
  const observedAt = Date.parse(`${current.time}:00Z`) - utc_offset_seconds * 1000;
  if (!Number.isFinite(observedAt)) throw new WeatherFetchError("unexpected response: current.time");
  return {
    temperatureC: current_units.temperature_2m === "°F" ? ((t - 32) * 5) / 9 : t,
    code: current.weather_code,
    condition,
    observedAt,
  };
}

/** Coordinates as Open-Meteo reads them: plain decimals (never exponent notation), 4 places. */
const coord = (n: number) => String(Number(n.toFixed(4)));

export interface OpenMeteoOptions {
  /** Scheme, host and optional path prefix; `/v1/forecast` is appended. */
  baseUrl?: string;
  /** Injected for runtimes or tests that wrap fetch; defaults to the global one. */
  fetch?: typeof fetch;
}

export function createOpenMeteoProvider({
  baseUrl = OPEN_METEO_URL,
  fetch: doFetch = globalThis.fetch,
}: OpenMeteoOptions = {}): WeatherProvider {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    async current(lat: number, lon: number, signal?: AbortSignal): Promise<WeatherNow> {
      const url =
        `${base}/v1/forecast?latitude=${coord(lat)}&longitude=${coord(lon)}` +
        "&current=temperature_2m,weather_code&timezone=auto";
      let res: Response;
      try {
        res = await doFetch(url, { signal, headers: { accept: "application/json" }, redirect: "error" });
      } catch (err) {
        if (signal?.aborted) throw new WeatherFetchError("timed out");
        throw new WeatherFetchError(`unreachable (${(err as Error).message})`);
      }
      const length = Number(res.headers.get("content-length") ?? 0);
      if (length > MAX_BODY_BYTES) {
        await res.body?.cancel();
        throw new WeatherFetchError(`response too large (${length} bytes)`);
      }
      const text = await res.text();
      if (text.length > MAX_BODY_BYTES) throw new WeatherFetchError("response too large");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new WeatherFetchError(`HTTP ${res.status}, not JSON`);
      }
      // Errors come back as { "error": true, "reason": "…" } with a 4xx status.
      if (!res.ok) {
        const reason = (body as { reason?: unknown })?.reason;
        throw new WeatherFetchError(
          `HTTP ${res.status}${typeof reason === "string" ? `: ${reason.slice(0, 200)}` : ""}`,
        );
      }
      return parseOpenMeteo(body);
    },
  };
}
