import { streamSSE } from "hono/streaming";
import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";
import { campaignId } from "./schemas.js";

const MAX_STREAMS = 64;
const POLL_MS = 1000;
const KEEPALIVE_MS = 15_000;

/**
 * GET /v1/campaigns/:id/live — Server-Sent Events: `stats` (the campaign's stats, as
 * /stats answers them) at once and whenever they change. Reads the counters once a second
 * (a few rows by primary key); at most 64 streams at once.
 */
export function registerCampaignLive(app: App): void {
  app.get("/v1/campaigns/:id/live", async (c) => {
    const id = parseParams(campaignId, c.req.param("id"), "campaign id");
    const { store, liveStreams } = c.get("services");
    if (liveStreams.size >= MAX_STREAMS) throw new ApiError("rate_limited", "too many live streams");
    return streamSSE(c, async (stream) => {
      let aborted = false;
      // A shutdown ends the stream (else the server would wait for the browser to leave).
      const stop = () => {
        aborted = true;
        void stream.close();
      };
      liveStreams.add(stop);
      stream.onAbort(() => {
        aborted = true;
      });
      try {
        let last = "";
        let quiet = 0;
        while (!aborted) {
          const data = JSON.stringify({ campaign: id, ...(await store.events.campaignStats(id)) });
          if (data !== last) {
            await stream.writeSSE({ event: "stats", data });
            last = data;
            quiet = 0;
          } else {
            quiet += POLL_MS;
            if (quiet >= KEEPALIVE_MS) {
              await stream.write(": keep-alive\n\n");
              quiet = 0;
            }
          }
          await stream.sleep(POLL_MS);
        }
      } finally {
        liveStreams.delete(stop);
      }
    });
  });
}
