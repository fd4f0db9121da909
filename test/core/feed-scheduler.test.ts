import { describe, expect, it } from "vitest";
import { FeedScheduler } from "../../src/core/catalog/feed-scheduler.js";
import { FeedImporter } from "../../src/core/catalog/import.js";
import type { FeedRecord } from "../../src/core/ports/feeds.js";
import { type FetchedBody, type Fetcher, FetchRefused } from "../../src/core/ports/fetch.js";
import type { Intervals } from "../../src/core/ports/intervals.js";
import { createMemoryCatalogStore } from "../../src/core/testing/memory-catalog-store.js";
import { createMemoryFeedStore } from "../../src/core/testing/memory-feed-store.js";

const MIN = 60_000;
const T0 = Date.parse("2026-11-20T10:00:00Z");

/** A scheduler on a fake clock, fake intervals and a scripted fetcher: no timers, no network. */
function setup() {
  let now = T0;
  const clock = { now: () => now };
  const bodies = new Map<string, string | FetchRefused>();
  const fetched: string[] = [];
  const fetcher: Fetcher = {
    async fetch(url, opts) {
      fetched.push(url);
      expect(opts?.cache, "feeds are always fetched anew").toBe(false);
      const b = bodies.get(url);
      if (b === undefined) throw new FetchRefused("http_status", "the server answered 404", 404);
      if (b instanceof FetchRefused) throw b;
      const body: FetchedBody = {
        url,
        status: 200,
        contentType: "text/csv",
        bytes: new TextEncoder().encode(b),
      };
      return body;
    },
  };
  const catalog = createMemoryCatalogStore();
  const feeds = createMemoryFeedStore();
  const forgotten: string[] = [];
  const importer = new FeedImporter(fetcher, catalog, clock, (ids) => forgotten.push(...ids));
  const scheduler = new FeedScheduler(feeds, importer, clock, {
    debug() {},
    info() {},
    warn() {},
    error() {},
  });
  let task: (() => Promise<void>) | null = null;
  let tickMs = 0;
  const intervals: Intervals = {
    every(ms, t) {
      tickMs = ms;
      task = t;
    },
  };
  scheduler.start(intervals, 1000);
  const feed = (over: Partial<FeedRecord>): FeedRecord => ({
    id: "f1",
    url: "https://shop.example/feed.csv",
    format: null,
    everyMinutes: 5,
    createdAt: now,
    nextRunAt: now + 5 * MIN,
    lastRunAt: null,
    lastStatus: null,
    lastMessage: null,
    lastCounts: null,
    ...over,
  });
  return {
    advance: (ms: number) => {
      now += ms;
    },
    tick: () => task!(),
    tickMs: () => tickMs,
    bodies,
    fetched,
    catalog,
    feeds,
    forgotten,
    feed,
    scheduler,
  };
}

describe("feed scheduler", () => {
  it("imports a feed when it is due, not before, then every interval", async () => {
    const t = setup();
    expect(t.tickMs()).toBe(1000);
    t.bodies.set("https://shop.example/feed.csv", "id,name,price,currency\nsku-1,Shoe,100,EUR\n");
    await t.feeds.save(t.feed({}));

    t.advance(5 * MIN - 1);
    await t.tick();
    expect(t.fetched).toEqual([]);

    t.advance(1);
    await t.tick();
    expect(t.fetched).toHaveLength(1);
    expect(await t.catalog.get("sku-1")).toMatchObject({ price: 100, version: 1 });
    expect(t.forgotten).toEqual(["sku-1"]);
    expect((await t.feeds.list())[0]).toMatchObject({
      lastRunAt: T0 + 5 * MIN,
      lastStatus: "ok",
      lastCounts: { imported: 1, unchanged: 0, rejected: 0 },
      nextRunAt: T0 + 10 * MIN,
    });

    // Nothing more until the next interval; then the feed's new content lands.
    await t.tick();
    expect(t.fetched).toHaveLength(1);
    t.bodies.set("https://shop.example/feed.csv", "id,name,price,currency\nsku-1,Shoe,80,EUR\nbad,,1,EUR\n");
    t.advance(5 * MIN);
    await t.tick();
    expect(t.fetched).toHaveLength(2);
    expect(await t.catalog.get("sku-1")).toMatchObject({ price: 80, version: 2 });
    expect((await t.feeds.list())[0]).toMatchObject({
      lastStatus: "partial",
      lastMessage: expect.stringMatching(/^row 3: name: /),
      lastCounts: { imported: 1, unchanged: 0, rejected: 1 },
    });
  });

  it("records a failed fetch, writes nothing, and tries again at the next interval (not every tick)", async () => {
    const t = setup();
    t.bodies.set(
      "https://shop.example/feed.csv",
      new FetchRefused("timeout", "no complete answer within 30000 ms"),
    );
    await t.feeds.save(t.feed({ nextRunAt: T0 }));
    await t.tick();
    expect((await t.feeds.list())[0]).toMatchObject({
      lastStatus: "failed",
      lastMessage: "no complete answer within 30000 ms",
      lastCounts: null,
    });
    await t.tick();
    t.advance(MIN);
    await t.tick();
    expect(t.fetched).toHaveLength(1);
    t.advance(4 * MIN);
    await t.tick();
    expect(t.fetched).toHaveLength(2);
  });

  it("runs every due feed, one at a time, and never overlaps ticks", async () => {
    const t = setup();
    for (let i = 0; i < 12; i++) {
      const url = `https://shop.example/${i}.csv`;
      t.bodies.set(url, `id,name,price,currency\nsku-${i},P${i},${i + 1},EUR\n`);
      await t.feeds.save(t.feed({ id: `f${i}`, url, nextRunAt: T0 + i }));
    }
    t.advance(MIN);
    const a = t.tick();
    const b = t.tick();
    expect(b).toBe(a);
    await a;
    expect(t.fetched).toHaveLength(12);
    expect(new Set(t.fetched).size).toBe(12);
    expect(await t.catalog.get("sku-11")).toMatchObject({ price: 12 });
  });

  it("forgets a deleted feed", async () => {
    const t = setup();
    t.bodies.set("https://shop.example/feed.csv", "id,name,price,currency\nsku-1,Shoe,100,EUR\n");
    await t.feeds.save(t.feed({ nextRunAt: T0 }));
    await t.feeds.delete("f1");
    await t.tick();
    expect(t.fetched).toEqual([]);
  });
});
