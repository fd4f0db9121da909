// A diagnostic for bench/redirect.ts, not a way to run opentime: the same core app, fast
// path, Node listener, classification and group-commit recorder as the shipped server, but
// its batches go to a sink that only counts them (no SQLite, no writer thread, no email
// activity). Measured in the same run as the bare baseline and the real server, it tells
// how much of the gap to the baseline is the store's work and how much is the request
// path's own: the best any durable store could do on this machine.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createApp } from "../src/core/app.js";
import { Metrics } from "../src/core/metrics.js";
import type { CampaignStats, KindStats } from "../src/core/ports/index.js";
import { silentLogger } from "../src/core/ports/index.js";
import { createMemoryStore } from "../src/core/testing/memory-store.js";
import { createRecorder } from "../src/core/tracking/recorder.js";
import { withFastPath } from "../src/node/fast-listener.js";

const store = createMemoryStore();
// Totals only, so that memory stays flat however long the run (the memory store keeps
// every event); the bench checks them against the requests it sent.
const totals = new Map<string, { opens: number; clicks: number }>();
store.events.append = async (batch) => {
  for (const e of batch) {
    let t = totals.get(e.campaign);
    if (!t) {
      t = { opens: 0, clicks: 0 };
      totals.set(e.campaign, t);
    }
    if (e.kind === "open") t.opens++;
    else t.clicks++;
  }
};
const kind = (total: number): KindStats => ({ total, unique: 0, byClass: {}, uniqueByClass: {} });
store.events.campaignStats = async (campaign): Promise<CampaignStats> => {
  const t = totals.get(campaign) ?? { opens: 0, clicks: 0 };
  return { opens: kind(t.opens), clicks: kind(t.clicks) };
};

const apiKey = process.env.OPENTIME_API_KEY ?? "";
const secret = process.env.OPENTIME_SECRET ?? "";
const recorder = createRecorder({ events: store.events, windowMs: 50, maxBatch: 2000 });
const app = createApp({
  config: { OPENTIME_API_KEY: apiKey, OPENTIME_SECRET: secret, publicUrl: "http://127.0.0.1" },
  store,
  recorder,
  metrics: new Metrics(),
  clientIp: (c) => getConnInfo(c).remote.address ?? null,
});
const server = createServer(
  withFastPath(app.fastPath, getRequestListener(app.fetch, { hostname: "127.0.0.1" }), silentLogger),
);
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ port, msg: "storeless opentime listening" }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
