// A baseline for bench/ingest.ts, not a way to run opentime: the same core app, Node listener
// and Segment request path (body read, JSON parse, write key, per-event validation), with a
// profiles port that acknowledges at once and stores nothing. The floor for a batch's latency.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createApp } from "../src/core/app.js";
import { Metrics } from "../src/core/metrics.js";
import { silentLogger } from "../src/core/ports/index.js";
import type { Profiles } from "../src/core/profiles/service.js";
import { createMemoryStore } from "../src/core/testing/memory-store.js";
import { createRecorder } from "../src/core/tracking/recorder.js";
import { withFastPath } from "../src/node/fast-listener.js";

const store = createMemoryStore();
let accepted = 0;
const profiles = {
  ingest: async (events) => {
    accepted += events.length;
    return { accepted: events.length, duplicates: 0, suppressed: 0 };
  },
} as Profiles;
const apiKey = process.env.OPENTIME_API_KEY ?? "";
const secret = process.env.OPENTIME_SECRET ?? "";
const recorder = createRecorder({ events: store.events, windowMs: 50, maxBatch: 2000 });
const app = createApp({
  config: { OPENTIME_API_KEY: apiKey, OPENTIME_SECRET: secret, publicUrl: "http://127.0.0.1" },
  store,
  recorder,
  profiles,
  writeKeys: [process.env.OPENTIME_WRITE_KEY ?? ""],
  metrics: new Metrics(),
  clientIp: (c) => getConnInfo(c).remote.address ?? null,
});
const server = createServer(
  withFastPath(app.fastPath, getRequestListener(app.fetch, { hostname: "127.0.0.1" }), silentLogger),
);
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ port, msg: "parse-only opentime listening" }));
});
process.on("SIGTERM", () => {
  console.error(JSON.stringify({ accepted }));
  server.close(() => process.exit(0));
});
