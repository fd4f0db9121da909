import { describe, expect, it } from "vitest";
import type { WeatherNow, WeatherProvider } from "../../src/core/ports/weather.js";
import { conditionOf, parseOpenMeteo, WeatherFetchError } from "../../src/core/weather/open-meteo.js";
import { WeatherService } from "../../src/core/weather/service.js";

/** Open-Meteo's answer for Berlin (current=temperature_2m,weather_code&timezone=auto). */
const BERLIN = {
  latitude: 52.52,
  longitude: 13.419998,
  generationtime_ms: 0.0286102294921875,
  utc_offset_seconds: 3600,
  timezone: "Europe/Berlin",
  timezone_abbreviation: "GMT+1",
  elevation: 38.0,
  current_units: { time: "iso8601", interval: "seconds", temperature_2m: "°C", weather_code: "wmo code" },
  current: { time: "2026-11-20T11:00", interval: 900, temperature_2m: 7.9, weather_code: 61 },
};

describe("Open-Meteo responses", () => {
  it("parse into WeatherNow, with the local observation time turned into UTC", () => {
    expect(parseOpenMeteo(BERLIN)).toEqual({
      temperatureC: 7.9,
      code: 61,
      condition: "rain",
      observedAt: Date.parse("2026-11-20T10:00:00Z"),
    });
    const f = parseOpenMeteo({
      ...BERLIN,
      current_units: { ...BERLIN.current_units, temperature_2m: "°F" },
      current: { ...BERLIN.current, temperature_2m: 50 },
    });
    expect(f.temperatureC).toBeCloseTo(10, 6);
  });

  it("refuse nulls (non-finite values), missing fields and unknown codes", () => {
    const bad = [
      { ...BERLIN, current: { ...BERLIN.current, temperature_2m: null } },
      { ...BERLIN, current: { ...BERLIN.current, weather_code: null } },
      { ...BERLIN, current: { ...BERLIN.current, weather_code: 42 } },
      { ...BERLIN, current: { ...BERLIN.current, time: 1763632800 } },
      { ...BERLIN, current_units: { ...BERLIN.current_units, temperature_2m: "K" } },
      { error: true, reason: "Latitude must be in range of -90 to 90°." },
      null,
    ];
    for (const b of bad) expect(() => parseOpenMeteo(b), JSON.stringify(b)).toThrow(WeatherFetchError);
  });

  it("fold WMO codes into conditions as Open-Meteo's code table lists them", () => {
    const table: [number[], string][] = [
      [[0, 1], "clear"],
      [[2, 3], "cloudy"],
      [[45, 48], "fog"],
      [[51, 53, 55, 56, 57], "drizzle"],
      [[61, 63, 65, 66, 67, 80, 81, 82], "rain"],
      [[71, 73, 75, 77, 85, 86], "snow"],
      [[95, 96, 99], "thunderstorm"],
    ];
    for (const [codes, condition] of table)
      for (const c of codes) expect(conditionOf(c), `${c}`).toBe(condition);
    for (const c of [4, 10, 50, 60, 70, 90, 98]) expect(conditionOf(c)).toBeNull();
  });
});

/** A provider the test answers by hand: each call waits until resolved or failed. */
function manualProvider() {
  const calls: { lat: number; lon: number; resolve: (w: WeatherNow) => void; reject: (e: Error) => void }[] =
    [];
  const provider: WeatherProvider = {
    current: (lat, lon) => new Promise((resolve, reject) => calls.push({ lat, lon, resolve, reject })),
  };
  return { provider, calls };
}
const rain: WeatherNow = { temperatureC: 8, code: 61, condition: "rain", observedAt: 0 };
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("WeatherService", () => {
  it("shares one request among concurrent misses in a cell, and asks for the cell's centre", async () => {
    const { provider, calls } = manualProvider();
    const svc = new WeatherService({ provider, budgetMs: 1000 }, { now: () => 0 });
    const all = Promise.all([
      svc.forLocation(52.52, 13.41),
      svc.forLocation(52.48, 13.36),
      svc.forLocation(52.5, 13.4),
    ]);
    await flush();
    expect(calls.map((c) => [c.lat, c.lon])).toEqual([[52.5, 13.4]]);
    calls[0]!.resolve(rain);
    expect(await all).toEqual([rain, rain, rain]);
  });

  it("backs off a failing cell, then the whole provider after failures in a row", async () => {
    let t = 0;
    const { provider, calls } = manualProvider();
    const svc = new WeatherService({ provider, budgetMs: 1000 }, { now: () => t });
    for (const [lat, i] of [
      [10, 0],
      [20, 1],
      [30, 2],
    ] as const) {
      const p = svc.lookup(lat, 0);
      await flush();
      calls[i]!.reject(new Error("HTTP 500"));
      expect(await p).toEqual({ weather: null, stale: false, miss: "provider_error" });
    }
    // The cell just failed: no new request; and three in a row: no request for any cell.
    expect(await svc.lookup(10, 0)).toMatchObject({ miss: "backoff" });
    expect(await svc.lookup(40, 0)).toMatchObject({ miss: "backoff" });
    expect(calls).toHaveLength(3);
    t += 11_000;
    const p = svc.lookup(40, 0);
    await flush();
    expect(calls).toHaveLength(4);
    calls[3]!.resolve(rain);
    expect(await p).toEqual({ weather: rain, stale: false });
  });

  it("caps the request rate: past it, misses answer at once with what is known", async () => {
    const { provider, calls } = manualProvider();
    const svc = new WeatherService({ provider, budgetMs: 5, requestsPerMinute: 2 }, { now: () => 0 });
    await Promise.all([svc.lookup(1, 1), svc.lookup(2, 2)]);
    expect(await svc.lookup(3, 3)).toEqual({ weather: null, stale: false, miss: "rate_limited" });
    expect(calls).toHaveLength(2);
  });

  it("serves a last known value up to maxStaleMs, then nothing", async () => {
    let t = 0;
    const provider: WeatherProvider = {
      current: async () => {
        if (t > 0) throw new Error("down");
        return rain;
      },
    };
    const svc = new WeatherService({ provider, ttlMs: 1000, maxStaleMs: 10_000 }, { now: () => t });
    expect(await svc.forLocation(5, 5)).toEqual(rain);
    t = 2000;
    expect(await svc.lookup(5, 5)).toEqual({ weather: rain, stale: true });
    t = 20_000;
    expect(await svc.lookup(5, 5)).toMatchObject({ weather: null });
  });

  it("keeps a bounded number of cells", async () => {
    let n = 0;
    const provider: WeatherProvider = {
      current: async () => {
        n++;
        return rain;
      },
    };
    const svc = new WeatherService({ provider, maxCells: 4 }, { now: () => 0 });
    for (let i = 0; i < 10; i++) await svc.forLocation(i, i);
    expect(n).toBe(10);
    await svc.forLocation(9, 9); // recent: still cached
    expect(n).toBe(10);
    await svc.forLocation(0, 0); // evicted long ago: asked again
    expect(n).toBe(11);
  });
});
