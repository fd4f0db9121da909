import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.cleanup();
});

describe("operations", () => {
  it("/healthz and /readyz answer", async () => {
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("/metrics needs the key and speaks Prometheus text with routes, events and batches", async () => {
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    await fetch(`${s.url}/o/m.gif?u=x`);
    await s.api("/v1/campaigns/m/stats"); // flushes the batch
    const res = await s.api("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('opentime_http_requests_total{method="GET",route="/o/:file",status="200"} 1');
    expect(text).toMatch(
      /opentime_http_request_duration_seconds_bucket\{route="\/o\/:file",le="0.005"\} \d+/,
    );
    expect(text).toContain("opentime_events_written_total 1");
    expect(text).toContain("# TYPE opentime_events_dropped_total counter\nopentime_events_dropped_total 0\n");
    expect(text).toContain("opentime_decisions_dropped_total 0");
    expect(text).toContain("opentime_event_batch_size_count 1");
    expect(text).toContain('opentime_events_recorded_total{class="unknown",kind="open"} 1');
    // Write-lock waits of the writing threads (the batch above was the event writer's).
    expect(text).toMatch(/opentime_sqlite_write_lock_wait_seconds_count\{thread="event_writer"\} [1-9]/);
    expect(text).toMatch(
      /opentime_sqlite_write_lock_wait_seconds_bucket\{thread="profile_writer",le="0.001"\} \d+/,
    );
  });

  it("answers unknown routes with a JSON 404 and a request id", async () => {
    const res = await fetch(`${s.url}/nope`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("not_found");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  });
});
