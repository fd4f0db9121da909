import { describe, expect, it } from "vitest";
import { Lru } from "../../src/core/util/lru.js";

describe("Lru", () => {
  it("never holds more than max entries", () => {
    const lru = new Lru<number, number>(100);
    for (let i = 0; i < 10_000; i++) lru.set(i, i);
    expect(lru.size).toBeLessThanOrEqual(100);
    expect(lru.get(9_999)).toBe(9_999);
    expect(lru.get(0)).toBeUndefined();
  });

  it("keeps what is read often while new keys stream through", () => {
    const lru = new Lru<string, number>(10);
    lru.set("hot", 1);
    for (let i = 0; i < 1000; i++) {
      lru.set(`k${i}`, i);
      expect(lru.get("hot")).toBe(1);
    }
  });

  it("overwrites, peeks without promoting, deletes and clears", () => {
    const lru = new Lru<string, number>(4);
    lru.set("a", 1);
    lru.set("a", 2);
    expect(lru.peek("a")).toBe(2);
    expect(lru.delete("a")).toBe(true);
    expect(lru.get("a")).toBeUndefined();
    lru.set("b", 1);
    lru.clear();
    expect(lru.size).toBe(0);
  });
});
