import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for api.open-meteo.com on loopback, answering GET /v1/forecast with the JSON
 * shape Open-Meteo writes (Writer/JsonWriter.swift in its source). Tests set the weather
 * per place and how it misbehaves, and read back every request it got.
 */
export interface StandInWeather {
  temperature: number | null;
  code: number | null;
}

export interface OpenMeteoStandIn {
  url: string;
  /** Every request's query, in arrival order. */
  requests: URLSearchParams[];
  /** Responses fully sent (a slow answer counts when it is done). */
  answered: number;
  /** Weather by "lat,lon" as requested (the service asks for its cell's centre, e.g. "52.5,13.4"). */
  weather: Map<string, StandInWeather>;
  /** What the next requests get: the weather, an HTTP 500, or the weather after a delay. */
  mode: { kind: "ok" } | { kind: "status"; status: number } | { kind: "slow"; ms: number };
  requestsFor(lat: string, lon: string): number;
  /** Stops listening and drops open connections: the next request is refused. */
  close(): Promise<void>;
}

export async function startOpenMeteoStandIn(): Promise<OpenMeteoStandIn> {
  const state: Omit<OpenMeteoStandIn, "url" | "close" | "requestsFor"> = {
    requests: [],
    answered: 0,
    weather: new Map(),
    mode: { kind: "ok" },
  };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
      state.answered++;
    };
    if (u.pathname !== "/v1/forecast") return send(404, { error: true, reason: "Not Found" });
    state.requests.push(u.searchParams);
    const q = u.searchParams;
    if (q.get("current") !== "temperature_2m,weather_code" || q.get("timezone") !== "auto")
      return send(400, { error: true, reason: "unexpected parameters" });
    const mode = state.mode;
    if (mode.kind === "status") return send(mode.status, { error: true, reason: "Internal Server Error" });
    const lat = Number(q.get("latitude"));
    const lon = Number(q.get("longitude"));
    const w = state.weather.get(`${q.get("latitude")},${q.get("longitude")}`) ?? { temperature: 15, code: 3 };
    // As Open-Meteo answers for Berlin: the grid point's coordinates, Europe/Berlin in winter.
    const body = {
      latitude: lat + 0.00001,
      longitude: lon - 0.00002,
      generationtime_ms: 0.0286102294921875,
      utc_offset_seconds: 3600,
      timezone: "Europe/Berlin",
      timezone_abbreviation: "GMT+1",
      elevation: 38.0,
      current_units: { time: "iso8601", interval: "seconds", temperature_2m: "°C", weather_code: "wmo code" },
      current: {
        time: "2026-11-20T11:00",
        interval: 900,
        temperature_2m: w.temperature,
        weather_code: w.code,
      },
    };
    if (mode.kind === "slow") setTimeout(() => send(200, body), mode.ms);
    else send(200, body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    requestsFor: (lat: string, lon: string) =>
      state.requests.filter((q) => q.get("latitude") === lat && q.get("longitude") === lon).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
