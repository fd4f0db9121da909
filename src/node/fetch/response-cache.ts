import type { FetchedBody } from "../../core/ports/fetch.js";

export interface ResponseCacheOptions {
  /** Remote content changes: 5 minutes keeps a hot image from being fetched per open, and stays fresh. */
  ttlMs?: number;
  maxEntries?: number;
  /** Bounds the memory the cache holds; one entry may take at most a quarter of it. */
  maxBytes?: number;
  now?: () => number;
}

/**
 * Successful fetches by key, bounded in entries, bytes and age. A Map keeps insertion
 * order: a hit is re-inserted, so the first entries are the least recently used and are
 * evicted first.
 */
export class ResponseCache {
  private readonly entries = new Map<string, { body: FetchedBody; expires: number }>();
  private bytes = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  constructor({
    ttlMs = 5 * 60_000,
    maxEntries = 256,
    maxBytes = 32 * 1024 * 1024,
    now = Date.now,
  }: ResponseCacheOptions = {}) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.now = now;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(key: string): FetchedBody | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (this.now() >= e.expires) {
      this.bytes -= e.body.bytes.length;
      return undefined;
    }
    this.entries.set(key, e);
    return e.body;
  }

  set(key: string, body: FetchedBody): void {
    if (body.bytes.length > this.maxBytes / 4 || this.maxEntries < 1) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.body.bytes.length;
    }
    this.entries.set(key, { body, expires: this.now() + this.ttlMs });
    this.bytes += body.bytes.length;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.body.bytes.length;
    }
  }
}
