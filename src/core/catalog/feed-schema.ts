import { z } from "zod";
import { FEED_FORMATS, type FeedRecord } from "../ports/feeds.js";

/** Stored feeds per server: each is a whole-catalog import on its own schedule. */
export const MAX_FEEDS = 100;
export const FEED_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export const importBody = z
  .object({
    url: z
      .string()
      .max(4096)
      .regex(/^https?:\/\/\S+$/i, "must be an absolute http(s) URL"),
    format: z.enum(FEED_FORMATS).optional(),
    /** Minutes between scheduled imports: at least 5 (a feed is a whole catalog), at most a week. */
    every: z.number().int().min(5).max(10_080).optional(),
  })
  .strict();

/** The JSON a client sees for a stored feed. */
export function feedView(f: FeedRecord) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: f.id,
    url: f.url,
    format: f.format,
    every: f.everyMinutes,
    createdAt: iso(f.createdAt),
    nextRunAt: iso(f.nextRunAt),
    lastRunAt: iso(f.lastRunAt),
    lastStatus: f.lastStatus,
    lastMessage: f.lastMessage,
    lastCounts: f.lastCounts,
  };
}
