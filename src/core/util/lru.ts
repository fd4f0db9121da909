/**
 * A bounded, approximately-LRU map built from two generations. Reads of a key in the young
 * generation cost one Map lookup and move nothing, which matters on the redirect path where
 * the same few links are read tens of thousands of times a second (a classic LRU's
 * delete-and-reinsert on every hit showed up in profiles). A key read from the old
 * generation is promoted; when the young one fills up (max/2), it becomes the old one and
 * the previous old one is dropped whole. So at most `max` entries are held, and anything
 * used within the last max/2 insertions survives.
 */
export class Lru<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(readonly max: number) {
    if (!(max >= 2)) throw new RangeError("Lru max must be >= 2");
    this.half = Math.floor(max / 2);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.insertYoung(key, o);
    }
    return o;
  }

  peek(key: K): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    this.old.delete(key);
    this.insertYoung(key, value);
  }

  delete(key: K): boolean {
    const a = this.young.delete(key);
    const b = this.old.delete(key);
    return a || b;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private insertYoung(key: K, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
