import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, UA } from "../helpers/server.js";

describe("GET /v1/campaigns/:id/series", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it("counts opens and clicks per interval and class, column-wise", async () => {
    const now = Date.now();
    const from = now - 60_000;
    const open = (u: string, ua: string) =>
      fetch(`${s.url}/o/spring.gif?u=${u}`, { headers: { "user-agent": ua } }).then((r) => r.arrayBuffer());
    await open("a%40x.com", UA.chromeDesktop);
    await open("b%40x.com", UA.chromeDesktop);
    await open("c%40x.com", UA.appleMpp);
    await open("d%40x.com", UA.curl);
    const link = (await (
      await s.api("/v1/links", { method: "POST", json: { url: "https://shop.example/", campaign: "spring" } })
    ).json()) as { url: string };
    await fetch(`${link.url}?u=a%40x.com`, {
      redirect: "manual",
      headers: { "user-agent": UA.chromeDesktop },
    });
    const to = now + 60_000;
    const res = await s.api(`/v1/campaigns/spring/series?from=${from}&to=${to}&interval=1m`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.interval).toBe(60_000);
    expect(body.times).toHaveLength(2);
    expect(body.times[0]).toBe(from);
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    expect(sum(body.opens.total)).toBe(4);
    expect(sum(body.opens.byClass.human)).toBe(2);
    expect(sum(body.opens.byClass.apple_mpp)).toBe(1);
    expect(sum(body.opens.byClass.bot)).toBe(1);
    expect(sum(body.clicks.byClass.human)).toBe(1);
    // The same counts as the campaign's stats.
    const stats = (await (await s.api("/v1/campaigns/spring/stats")).json()) as any;
    expect(stats.opens.total).toBe(4);
    // ISO dates too; nothing outside the range.
    const before = (await (
      await s.api(`/v1/campaigns/spring/series?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`)
    ).json()) as any;
    expect(before.interval).toBe(300_000);
    expect(sum(before.opens.total)).toBe(0);
    expect(Object.keys(before.opens.byClass)).toEqual([]);
  });

  it("lists campaigns with their totals", async () => {
    const body = (await (await s.api("/v1/campaigns")).json()) as any;
    expect(body.campaigns).toContainEqual({ campaign: "spring", opens: 4, clicks: 1 });
  });

  it("refuses bad ranges with a JSON code", async () => {
    for (const q of [
      "interval=0s",
      "interval=5x",
      "from=10&to=5",
      "from=0&to=86400000000&interval=1m",
      "extra=1",
    ]) {
      const res = await s.api(`/v1/campaigns/spring/series?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as any).error.code).toBe("validation_failed");
    }
  });

  it("streams the stats live, and a shutdown ends the stream instead of waiting for it", async () => {
    const res = await s.api("/v1/campaigns/spring/live");
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: stats\ndata: \{"campaign":"spring","opens":\{"total":4,/);
    // close() used to wait for the browser to leave (a stream never ends on its own).
    await s.close();
    const rest = await reader.read();
    expect(rest.done).toBe(true);
  });
});
