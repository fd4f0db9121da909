/**
 * Current weather at a place, as live images need it. The Node server's adapter speaks
 * Open-Meteo's forecast API; tests stand a local server in for it.
 */
export const WEATHER_CONDITIONS = [
  "clear",
  "cloudy",
  "fog",
  "drizzle",
  "rain",
  "snow",
  "thunderstorm",
] as const;
export type WeatherCondition = (typeof WEATHER_CONDITIONS)[number];

export interface WeatherNow {
  /** °C; templates convert for Fahrenheit locales. */
  temperatureC: number;
  /** The WMO weather code as the provider gave it. */
  code: number;
  /** The code folded into the few conditions templates and rules choose on. */
  condition: WeatherCondition;
  /** When the provider observed it (ms since epoch). */
  observedAt: number;
}

export interface WeatherProvider {
  /** Throws on failure or when `signal` aborts; callers add caching, staleness and timeouts. */
  current(lat: number, lon: number, signal?: AbortSignal): Promise<WeatherNow>;
}
