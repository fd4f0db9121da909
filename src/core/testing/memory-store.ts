import type {
  BlockRecord,
  CampaignStats,
  KindStats,
  LinkRecord,
  SeriesCount,
  Store,
  TrackEvent,
} from "../ports/index.js";

/** In-memory Store for unit tests of the core. Passes the same contract suite as SQLite. */
export function createMemoryStore(): Store & { events: Store["events"] & { log: TrackEvent[] } } {
  const links = new Map<string, LinkRecord>();
  const log: TrackEvent[] = [];
  // campaign|kind|recipient → the first hit's class and time (a correction of that hit moves it)
  const uniques = new Map<string, { cls: string; at: number }>();
  const blocks = new Map<string, BlockRecord>();
  const firstSeen = new Map<string, number>();
  const copy = (b: BlockRecord): BlockRecord => structuredClone(b);
  let closed = false;
  const check = () => {
    if (closed) throw new Error("store closed");
  };
  return {
    links: {
      async put(batch) {
        check();
        return batch.map((link) => {
          if (link.campaign !== null) {
            for (const l of links.values()) if (l.campaign === link.campaign && l.url === link.url) return l;
          }
          if (!links.has(link.id)) links.set(link.id, { ...link });
          return links.get(link.id)!;
        });
      },
      async get(id) {
        check();
        const l = links.get(id);
        return l ? { ...l } : null;
      },
    },
    blocks: {
      async create(block) {
        check();
        if (blocks.has(block.id)) throw new Error(`block ${block.id} exists`);
        blocks.set(block.id, copy(block));
      },
      async list(limit) {
        check();
        return [...blocks.values()]
          .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1))
          .slice(0, limit)
          .map(copy);
      },
      async get(id) {
        check();
        const b = blocks.get(id);
        return b ? copy(b) : null;
      },
      async update(id, options, at) {
        check();
        const b = blocks.get(id);
        if (!b) return null;
        const next = { ...b, options: structuredClone(options), version: b.version + 1, updatedAt: at };
        blocks.set(id, next);
        return copy(next);
      },
      async delete(id) {
        check();
        for (const k of firstSeen.keys()) if (k.startsWith(`${id}\u0000`)) firstSeen.delete(k);
        return blocks.delete(id);
      },
      async firstSeen(blockId, recipient, at) {
        check();
        const k = `${blockId}\u0000${recipient}`;
        const seen = firstSeen.get(k);
        if (seen !== undefined) return seen;
        firstSeen.set(k, at);
        return at;
      },
      async peekFirstSeen(blockId, recipient) {
        check();
        return firstSeen.get(`${blockId}\u0000${recipient}`) ?? null;
      },
    },
    events: {
      log,
      async append(batch) {
        check();
        for (const e of batch) {
          log.push({ ...e, reasons: [...e.reasons] });
          if (e.recipient) {
            const k = `${e.campaign}|${e.kind}|${e.recipient}`;
            const u = uniques.get(k);
            if (e.corrects) {
              if (u && u.cls === e.corrects && u.at === e.at) u.cls = e.class;
            } else if (!u) uniques.set(k, { cls: e.class, at: e.at });
          }
        }
      },
      async campaignSeries(campaign, from, to, interval) {
        check();
        const counts = new Map<string, SeriesCount>();
        const add = (e: TrackEvent, cls: string, n: number) => {
          const bucket = Math.floor((e.at - from) / interval);
          const k = `${bucket}|${e.kind}|${cls}`;
          const c = counts.get(k) ?? { bucket, kind: e.kind, class: cls, n: 0 };
          c.n += n;
          counts.set(k, c);
        };
        for (const e of log) {
          if (e.campaign !== campaign || e.at < from || e.at >= to) continue;
          add(e, e.class, 1);
          if (e.corrects) add(e, e.corrects, -1);
        }
        return [...counts.values()];
      },
      async campaigns(limit) {
        check();
        const by = new Map<string, { campaign: string; opens: number; clicks: number }>();
        for (const e of log) {
          if (e.corrects) continue;
          const c = by.get(e.campaign) ?? { campaign: e.campaign, opens: 0, clicks: 0 };
          if (e.kind === "open") c.opens++;
          else c.clicks++;
          by.set(e.campaign, c);
        }
        return [...by.values()].sort((a, b) => (a.campaign < b.campaign ? -1 : 1)).slice(0, limit);
      },
      async campaignStats(campaign) {
        check();
        const empty = (): KindStats => ({ total: 0, unique: 0, byClass: {}, uniqueByClass: {} });
        const stats: CampaignStats = { opens: empty(), clicks: empty() };
        for (const e of log) {
          if (e.campaign !== campaign) continue;
          const k = e.kind === "open" ? stats.opens : stats.clicks;
          k.byClass[e.class] = (k.byClass[e.class] ?? 0) + 1;
          if (!e.corrects) k.total++;
          else {
            const left = (k.byClass[e.corrects] ?? 0) - 1;
            if (left === 0) delete k.byClass[e.corrects];
            else k.byClass[e.corrects] = left;
          }
        }
        for (const [key, { cls }] of uniques) {
          const [c, kind] = key.split("|");
          if (c !== campaign) continue;
          const k = kind === "open" ? stats.opens : stats.clicks;
          k.unique++;
          k.uniqueByClass[cls] = (k.uniqueByClass[cls] ?? 0) + 1;
        }
        return stats;
      },
    },
    async ping() {
      return !closed;
    },
    async close() {
      closed = true;
    },
  };
}
