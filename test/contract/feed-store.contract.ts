import { describe, expect, it } from "vitest";
import type { FeedRecord, FeedStore } from "../../src/core/ports/feeds.js";

const MIN = 60_000;

/** One contract every FeedStore adapter passes: the in-memory fake and SQLite. */
export function feedStoreContract(
  name: string,
  open: () => Promise<{ store: FeedStore; reopen?: () => Promise<FeedStore> }>,
) {
  const feed = (over: Partial<FeedRecord> = {}): FeedRecord => ({
    id: "f1",
    url: "https://shop.example/feed.csv",
    format: "csv",
    everyMinutes: 60,
    createdAt: 1000,
    nextRunAt: 1000 + 60 * MIN,
    lastRunAt: 1000,
    lastStatus: "ok",
    lastMessage: null,
    lastCounts: { imported: 3, unchanged: 0, rejected: 0 },
    ...over,
  });

  describe(`FeedStore contract: ${name}`, () => {
    it("saves and lists feeds, oldest first, as they were saved", async () => {
      const { store } = await open();
      expect(await store.list()).toEqual([]);
      expect(await store.save(feed())).toEqual(feed());
      await store.save(feed({ id: "f2", url: "https://shop.example/b.json", format: null, createdAt: 2000 }));
      const list = await store.list();
      expect(list.map((f) => f.id)).toEqual(["f1", "f2"]);
      expect(list[0]).toEqual(feed());
      expect(list[1]).toMatchObject({ format: null, url: "https://shop.example/b.json" });
    });

    it("keeps one feed per URL: saving it again updates it and keeps its id and creation time", async () => {
      const { store } = await open();
      await store.save(feed());
      const again = await store.save(
        feed({ id: "other", everyMinutes: 5, createdAt: 9000, nextRunAt: 9000 + 5 * MIN, format: "json" }),
      );
      expect(again).toMatchObject({ id: "f1", createdAt: 1000, everyMinutes: 5, format: "json" });
      expect(await store.list()).toEqual([again]);
    });

    it("claims due feeds once, soonest first, moving each to its next run", async () => {
      const { store } = await open();
      await store.save(feed({ id: "a", url: "https://a.example/f", everyMinutes: 10, nextRunAt: 500 }));
      await store.save(feed({ id: "b", url: "https://b.example/f", everyMinutes: 5, nextRunAt: 100 }));
      await store.save(feed({ id: "c", url: "https://c.example/f", nextRunAt: 100 * MIN }));
      const claimed = await store.claimDue(1000, 10);
      expect(claimed.map((f) => f.id)).toEqual(["b", "a"]);
      expect(await store.claimDue(1000, 10)).toEqual([]);
      const byId = Object.fromEntries((await store.list()).map((f) => [f.id, f]));
      expect(byId.a!.nextRunAt).toBe(1000 + 10 * MIN);
      expect(byId.b!.nextRunAt).toBe(1000 + 5 * MIN);
      expect(byId.c!.nextRunAt).toBe(100 * MIN);
      expect((await store.claimDue(1000 + 10 * MIN, 1)).map((f) => f.id)).toEqual(["b"]);
    });

    it("records a run's outcome, and ignores a run of a deleted feed", async () => {
      const { store } = await open();
      await store.save(feed());
      await store.recordRun("f1", {
        at: 5000,
        status: "failed",
        message: "the server answered 500",
        counts: null,
      });
      expect((await store.list())[0]).toMatchObject({
        lastRunAt: 5000,
        lastStatus: "failed",
        lastMessage: "the server answered 500",
        lastCounts: null,
      });
      expect(await store.delete("f1")).toBe(true);
      expect(await store.delete("f1")).toBe(false);
      await store.recordRun("f1", { at: 6000, status: "ok", message: null, counts: null });
      expect(await store.list()).toEqual([]);
    });

    it("keeps feeds across a reopen (when the adapter persists)", async () => {
      const { store, reopen } = await open();
      if (!reopen) return;
      await store.save(feed());
      expect(await (await reopen()).list()).toEqual([feed()]);
    });
  });
}
