import type { FeedRecord, FeedStore } from "../ports/feeds.js";

const copy = (f: FeedRecord): FeedRecord => ({ ...f, lastCounts: f.lastCounts && { ...f.lastCounts } });

/** In-memory FeedStore for core tests. Passes the same contract suite as SQLite. */
export function createMemoryFeedStore(): FeedStore {
  const feeds = new Map<string, FeedRecord>(); // insertion order = creation order
  return {
    async save(feed) {
      const old = [...feeds.values()].find((f) => f.url === feed.url);
      const stored = old ? { ...copy(feed), id: old.id, createdAt: old.createdAt } : copy(feed);
      feeds.set(stored.id, stored);
      return copy(stored);
    },
    async list() {
      return [...feeds.values()].map(copy);
    },
    async delete(id) {
      return feeds.delete(id);
    },
    async claimDue(now, limit) {
      const due = [...feeds.values()]
        .filter((f) => f.nextRunAt <= now)
        .sort((a, b) => a.nextRunAt - b.nextRunAt)
        .slice(0, limit);
      for (const f of due) f.nextRunAt = now + f.everyMinutes * 60_000;
      return due.map(copy);
    },
    async recordRun(id, run) {
      const f = feeds.get(id);
      if (!f) return;
      f.lastRunAt = run.at;
      f.lastStatus = run.status;
      f.lastMessage = run.message;
      f.lastCounts = run.counts && { ...run.counts };
    },
  };
}
