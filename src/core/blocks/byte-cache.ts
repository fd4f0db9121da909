/**
 * Rendered images by cache key, bounded by BYTES (not entries: a retina timer is 100x a
 * tiny one), with single-flight: concurrent misses for one key share one render. Strict
 * LRU is fine here: a hit costs a Map delete+set, noise next to serving image bytes.
 */
export interface CachedImage {
  bytes: Uint8Array;
  contentType: string;
}

export class RenderCache {
  private readonly map = new Map<string, CachedImage>();
  private readonly inflight = new Map<string, Promise<CachedImage>>();
  private bytes = 0;
  hits = 0;
  misses = 0;
  renders = 0;

  constructor(
    /** Total bytes kept; default 64 MB, enough for thousands of live timers. */
    readonly maxBytes = 64 * 1024 * 1024,
    /** Larger results are served but not kept, so one giant image cannot flush the rest. */
    readonly maxEntryBytes = 4 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.map.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }

  async get(key: string, render: () => CachedImage | Promise<CachedImage>): Promise<CachedImage> {
    const hit = this.map.get(key);
    if (hit) {
      this.hits++;
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.hits++;
      return pending;
    }
    this.misses++;
    const p = (async () => {
      try {
        this.renders++;
        const img = await render();
        this.put(key, img);
        return img;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, p);
    return p;
  }

  private put(key: string, img: CachedImage): void {
    const n = img.bytes.byteLength;
    if (n > this.maxEntryBytes) return;
    this.map.set(key, img);
    this.bytes += n;
    while (this.bytes > this.maxBytes) {
      const oldest = this.map.entries().next();
      if (oldest.done) break;
      this.map.delete(oldest.value[0]);
      this.bytes -= oldest.value[1].bytes.byteLength;
    }
  }
}
