import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetcher } from "../../src/node/fetch/guarded-fetcher.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * Feed import over real HTTP: a stand-in shop on 127.0.0.1 serves the feeds, the server
 * fetches them through the guarded fetcher (127.0.0.1 exempted from the private-address
 * check for this test only) and stores products and feeds in a real SQLite file.
 */
let now = Date.parse("2026-11-20T10:00:00Z");
const clock = { now: () => now };
let s: TestServer;
let shop: Server;
let shopUrl: string;
const feeds = new Map<string, { type: string; body: string; status?: number; location?: string }>();
const hits = new Map<string, number>();

beforeAll(async () => {
  shop = createServer((req, res) => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const f = feeds.get(path);
    if (!f) return void res.writeHead(404).end("no such feed");
    res
      .writeHead(f.status ?? 200, { "content-type": f.type, ...(f.location && { location: f.location }) })
      .end(f.body);
  });
  await new Promise<void>((r) => shop.listen(0, "127.0.0.1", r));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  s = await startTestServer({}, undefined, {
    clock,
    // Allowing a private host by name is not enough to reach it: only allowPrivate exempts one.
    fetcher: createGuardedFetcher({
      allow: ["127.0.0.1", "localhost", "169.254.169.254"],
      allowPrivate: ["127.0.0.1"],
    }),
    // Due feeds are looked for every 50 ms here (30 s in production); the clock decides which are due.
    feedTickMs: 50,
  });
});
afterAll(async () => {
  await s.cleanup();
  shop.closeAllConnections();
  await new Promise((r) => shop.close(r));
});

const importFeed = async (json: unknown) => {
  const res = await s.api("/v1/products/import", { method: "POST", json });
  return { res, body: (await res.json()) as any };
};
const product = async (id: string) => (await s.api(`/v1/products/${id}`)).json() as Promise<any>;

const CSV = [
  "id,name,price,currency,compare_at_price,stock,image,url,category,brand,tags",
  'csv-1,"Trail shoe, GTX",79.90,EUR,99,3,,https://shop.example/p/1,Shoes,Alp,"trail|waterproof"',
  "csv-2,Beanie,29.90,EUR,,,,,Hats,Alp,wool",
  "bad one,Nope,1,EUR,,,,,,,",
  "csv-3,Socks,cheap,EUR,,,,,,,",
].join("\r\n");

describe("POST /v1/products/import", () => {
  it("imports a CSV feed now: good rows land, bad rows are reported by row", async () => {
    feeds.set("/feed.csv", { type: "text/csv; charset=utf-8", body: CSV });
    const { res, body } = await importFeed({ url: `${shopUrl}/feed.csv` });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({
      imported: 2,
      created: 2,
      updated: 0,
      unchanged: 0,
      format: "csv",
      rejectedCount: 2,
    });
    expect(body.rejected).toEqual([
      { row: 4, message: expect.stringMatching(/^id: /) },
      { row: 5, message: expect.stringMatching(/^price: not a price/) },
    ]);
    expect(body.feed).toBeUndefined();
    expect(await product("csv-1")).toMatchObject({
      name: "Trail shoe, GTX",
      price: 79.9,
      compareAtPrice: 99,
      stock: 3,
      url: "https://shop.example/p/1",
      category: "Shoes",
      brand: "Alp",
      tags: ["trail", "waterproof"],
      version: 1,
    });

    // The same feed again changes nothing: versions (and rendered cards) are kept.
    const again = await importFeed({ url: `${shopUrl}/feed.csv` });
    expect(again.body).toMatchObject({ imported: 0, unchanged: 2 });
    expect(hits.get("/feed.csv"), "an import always fetches anew").toBe(2);
  });

  it("imports a JSON feed, its format told by the extension when the content type says nothing", async () => {
    feeds.set("/catalog.json", {
      type: "application/octet-stream",
      body: JSON.stringify({
        products: [
          { id: "json-1", name: "Mug", price: 12, currency: "USD", compareAtPrice: 15, tags: ["kitchen"] },
          { id: "json-2", name: "Plate", price: "8.50 USD" },
        ],
      }),
    });
    const { res, body } = await importFeed({ url: `${shopUrl}/catalog.json` });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ imported: 2, format: "json", rejected: [] });
    expect(await product("json-2")).toMatchObject({ price: 8.5, currency: "USD", tags: [] });
  });

  it("takes an explicit format over the content type", async () => {
    feeds.set("/export", { type: "text/plain", body: "id;name;price;currency\nfmt-1;Cup;3;EUR\n" });
    const { body } = await importFeed({ url: `${shopUrl}/export`, format: "csv" });
    expect(body).toMatchObject({ imported: 1, format: "csv" });
  });

  it.each([
    ["a 404 from the shop", () => `${shopUrl}/missing.csv`, 502, "bad_gateway", "http_status"],
    [
      "a host not in OPENTIME_FETCH_ALLOW",
      () => "https://example.com/feed.csv",
      403,
      "forbidden",
      "host_not_allowed",
    ],
    [
      "a loopback name (private address)",
      () => `http://localhost:${new URL(shopUrl).port}/feed.csv`,
      403,
      "forbidden",
      "private_address",
    ],
    [
      "a redirect into the cloud metadata service",
      () => {
        const location = "http://169.254.169.254/latest/meta-data/";
        feeds.set("/moved.csv", { type: "text/plain", body: "", status: 302, location });
        return `${shopUrl}/moved.csv`;
      },
      403,
      "forbidden",
      "private_address",
    ],
  ])("answers %s with a clear error and writes nothing", async (_, url, status, code, reason) => {
    const { res, body } = await importFeed({ url: url(), every: 60 });
    expect(res.status, JSON.stringify(body)).toBe(status);
    expect(body.error).toMatchObject({ code, details: { reason } });
    expect(body.error.message).toMatch(/feed/);
    const list = (await (await s.api("/v1/feeds")).json()) as any;
    expect(list.feeds.map((f: any) => f.url)).not.toContain(url());
  });

  it("answers 422 for a feed that cannot be read as a whole, writing nothing", async () => {
    feeds.set("/broken.json", { type: "application/json", body: '[{"id":"never-1","name":"x","price":1,' });
    const { res, body } = await importFeed({ url: `${shopUrl}/broken.json`, every: 60 });
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(body.error).toMatchObject({
      code: "unprocessable",
      message: expect.stringMatching(/not valid JSON/),
    });
    feeds.set("/noheader.csv", { type: "text/csv", body: "sku,title\n1,x\n" });
    expect((await importFeed({ url: `${shopUrl}/noheader.csv` })).res.status).toBe(422);
    expect((await s.api("/v1/products/never-1")).status).toBe(404);
  });

  it.each([
    [{ url: "ftp://127.0.0.1/feed.csv" }, "url"],
    [{ url: "file:///etc/passwd" }, "url"],
    [{ url: "https://shop.example/f.csv", every: 4 }, "every"],
    [{ url: "https://shop.example/f.csv", every: 10_081 }, "every"],
    [{ url: "https://shop.example/f.csv", format: "xml" }, "format"],
    [{ url: "https://shop.example/f.csv", extra: true }, "extra"],
  ])("rejects %j with a 400 naming %s", async (json, field) => {
    const { res, body } = await importFeed(json);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(JSON.stringify(body.error)).toContain(field);
  });

  it("requires the operator key", async () => {
    expect((await fetch(`${s.url}/v1/products/import`, { method: "POST", body: "{}" })).status).toBe(401);
    expect((await fetch(`${s.url}/v1/feeds`)).status).toBe(401);
    expect((await fetch(`${s.url}/v1/feeds/x`, { method: "DELETE" })).status).toBe(401);
  });
});

describe("scheduled feeds", () => {
  it("stores a feed with `every`, re-imports it when due, lists its last run, and stops when deleted", async () => {
    feeds.set("/scheduled.csv", { type: "text/csv", body: "id,name,price,currency\nsch-1,Lamp,40,EUR\n" });
    const { res, body } = await importFeed({ url: `${shopUrl}/scheduled.csv`, every: 5 });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ imported: 1, feed: { every: 5, id: expect.any(String) } });
    const id = body.feed.id;

    // Saving the same URL again keeps one feed (and its id), with the new interval.
    const again = await importFeed({ url: `${shopUrl}/scheduled.csv`, every: 10 });
    expect(again.body.feed).toEqual({ id, every: 10 });
    await importFeed({ url: `${shopUrl}/scheduled.csv`, every: 5 });

    let list = (await (await s.api("/v1/feeds")).json()) as any;
    const mine = () => list.feeds.find((f: any) => f.id === id);
    expect(mine()).toEqual({
      id,
      url: `${shopUrl}/scheduled.csv`,
      format: null,
      every: 5,
      createdAt: new Date(now).toISOString(),
      nextRunAt: new Date(now + 5 * 60_000).toISOString(),
      lastRunAt: new Date(now).toISOString(),
      lastStatus: "ok",
      lastMessage: null,
      lastCounts: { imported: 0, unchanged: 1, rejected: 0 },
    });

    // The shop drops the price; nothing happens until the feed is due.
    feeds.set("/scheduled.csv", { type: "text/csv", body: "id,name,price,currency\nsch-1,Lamp,32,EUR\n" });
    const fetchedBefore = hits.get("/scheduled.csv");
    await new Promise((r) => setTimeout(r, 200));
    expect(hits.get("/scheduled.csv")).toBe(fetchedBefore);
    now += 5 * 60_000;
    await until(async () => (await product("sch-1")).price === 32);
    expect(await product("sch-1")).toMatchObject({ price: 32, version: 2 });
    list = (await (await s.api("/v1/feeds")).json()) as any;
    expect(mine()).toMatchObject({
      lastRunAt: new Date(now).toISOString(),
      nextRunAt: new Date(now + 5 * 60_000).toISOString(),
      lastStatus: "ok",
      lastCounts: { imported: 1, unchanged: 0, rejected: 0 },
    });

    expect((await s.api(`/v1/feeds/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await s.api(`/v1/feeds/${id}`, { method: "DELETE" })).status).toBe(404);
    list = (await (await s.api("/v1/feeds")).json()) as any;
    expect(mine()).toBeUndefined();
    feeds.set("/scheduled.csv", { type: "text/csv", body: "id,name,price,currency\nsch-1,Lamp,20,EUR\n" });
    now += 60 * 60_000;
    await new Promise((r) => setTimeout(r, 200));
    expect((await product("sch-1")).price, "a deleted feed is not imported again").toBe(32);
  });

  it("records a failing scheduled run on the feed", async () => {
    feeds.set("/flaky.json", {
      type: "application/json",
      body: '[{"id":"fl-1","name":"F","price":1,"currency":"EUR"}]',
    });
    const { body } = await importFeed({ url: `${shopUrl}/flaky.json`, every: 5 });
    feeds.delete("/flaky.json");
    now += 5 * 60_000;
    await until(async () => {
      const list = (await (await s.api("/v1/feeds")).json()) as any;
      return list.feeds.find((f: any) => f.id === body.feed.id)?.lastStatus === "failed";
    });
    const list = (await (await s.api("/v1/feeds")).json()) as any;
    expect(list.feeds.find((f: any) => f.id === body.feed.id)).toMatchObject({
      lastStatus: "failed",
      lastMessage: "the server answered 404",
      lastCounts: null,
    });
    expect(await product("fl-1"), "what an earlier run imported stays").toMatchObject({ price: 1 });
  });
});

async function until(check: () => Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}
