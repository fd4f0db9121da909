import { describe, expect, it } from "vitest";
import {
  BURST_WINDOW_MS,
  DEFAULT_MAX_ENTRIES,
  MAX_LINKS_PER_RECIPIENT,
  MAX_STAMPS_PER_LINK,
  RecentActivity,
} from "./recent-activity.js";

const T0 = 1_700_000_000_000;

describe("RecentActivity", () => {
  it("defaults to 100 000 entries and rejects nonsense sizes", () => {
    expect(new RecentActivity().maxEntries).toBe(DEFAULT_MAX_ENTRIES);
    expect(DEFAULT_MAX_ENTRIES).toBe(100_000);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new RecentActivity({ maxEntries: bad })).toThrow(RangeError);
    }
  });

  it("keeps the earliest open per campaign and recipient", () => {
    const a = new RecentActivity();
    expect(a.firstOpenAt("c", "r")).toBeUndefined();
    a.noteOpen("c", "r", T0 + 10);
    a.noteOpen("c", "r", T0 + 50);
    a.noteOpen("c", "r", T0);
    expect(a.firstOpenAt("c", "r")).toBe(T0);
    expect(a.firstOpenAt("c", "other")).toBeUndefined();
    expect(a.firstOpenAt("other", "r")).toBeUndefined();
  });

  it("does not confuse campaign/recipient pairs that concatenate alike", () => {
    const a = new RecentActivity();
    a.noteOpen("ab", "c", T0);
    expect(a.firstOpenAt("a", "bc")).toBeUndefined();
  });

  it("counts distinct links clicked within the last 2 s, this one included", () => {
    const a = new RecentActivity();
    expect(a.noteClick("c", "r", "a", T0)).toBe(1);
    expect(a.noteClick("c", "r", "a", T0 + 100)).toBe(1); // same link again
    expect(a.noteClick("c", "r", "b", T0 + 400)).toBe(2);
    expect(a.noteClick("c", "r", "c", T0 + 900)).toBe(3);
    // Exactly at the window edge still counts; just past it does not.
    expect(a.noteClick("c", "r", "d", T0 + 100 + BURST_WINDOW_MS)).toBe(4);
    expect(a.noteClick("c", "r", "e", T0 + 401 + BURST_WINDOW_MS)).toBe(3); // c, d, e
    // Long after: a fresh burst of one.
    expect(a.noteClick("c", "r", "a", T0 + 60_000)).toBe(1);
    // Other recipients are separate.
    expect(a.noteClick("c", "someone-else", "a", T0 + 60_000)).toBe(1);
  });

  it("ignores non-finite times instead of poisoning state", () => {
    const a = new RecentActivity();
    a.noteOpen("c", "r", Number.NaN);
    expect(a.firstOpenAt("c", "r")).toBeUndefined();
    expect(a.noteClick("c", "r", "a", Number.POSITIVE_INFINITY)).toBe(0);
    expect(a.size).toBe(0);
  });

  it("stays bounded: keeps the recently used, drops the long unused", () => {
    const a = new RecentActivity({ maxEntries: 4 });
    a.noteOpen("c", "r1", T0);
    a.noteOpen("c", "r2", T0);
    a.noteOpen("c", "r3", T0); // r1, r2 move to the old generation
    a.noteClick("c", "r1", "x", T0 + 1); // r1 is used again: promoted
    a.noteOpen("c", "r4", T0); // r3, r1 become old; r2 (unused since) is dropped
    expect(a.size).toBeLessThanOrEqual(4);
    expect(a.firstOpenAt("c", "r2")).toBeUndefined();
    expect(a.firstOpenAt("c", "r1")).toBe(T0);
    expect(a.firstOpenAt("c", "r3")).toBe(T0);
    expect(a.firstOpenAt("c", "r4")).toBe(T0);
  });

  it("never grows past maxEntries under a flood of distinct recipients", () => {
    const a = new RecentActivity({ maxEntries: 1000 });
    let peak = 0;
    for (let i = 0; i < 50_000; i++) {
      if (i % 2) a.noteOpen("camp", `r${i}`, T0 + i);
      else a.noteClick("camp", `r${i}`, "link", T0 + i);
      peak = Math.max(peak, a.size);
    }
    expect(peak).toBeLessThanOrEqual(1000);
    expect(a.size).toBeGreaterThanOrEqual(500);
    // The newest survive, the oldest are gone.
    expect(a.firstOpenAt("camp", "r49999")).toBe(T0 + 49_999);
    expect(a.firstOpenAt("camp", "r1")).toBeUndefined();
  });

  it("bounds links per recipient and stamps per link", () => {
    const a = new RecentActivity();
    // One recipient clicking far more distinct links than the cap, all in one burst.
    let n = 0;
    for (let i = 0; i < MAX_LINKS_PER_RECIPIENT * 3; i++) n = a.noteClick("c", "r", `link-${i}`, T0 + i);
    expect(n).toBe(MAX_LINKS_PER_RECIPIENT);
    // Hammering one link keeps only the last few stamps yet still reports it as clicked.
    for (let i = 0; i < MAX_STAMPS_PER_LINK * 10; i++) n = a.noteClick("c", "r2", "same", T0 + i);
    expect(n).toBe(1);
    expect(a.size).toBe(2);
  });

  it("clear() forgets everything", () => {
    const a = new RecentActivity();
    a.noteOpen("c", "r", T0);
    a.clear();
    expect(a.size).toBe(0);
    expect(a.firstOpenAt("c", "r")).toBeUndefined();
  });
});

describe("clickSignals", () => {
  it("gives a click's burst count and the recipient's first open in one call", () => {
    const ra = new RecentActivity();
    expect(ra.clickSignals("c", "ann", "l1", 1_000)).toMatchObject({
      recentClicks: 1,
      firstOpenAt: undefined,
    });
    ra.noteOpen("c", "ann", 900);
    expect(ra.clickSignals("c", "ann", "l2", 1_500)).toMatchObject({ recentClicks: 2, firstOpenAt: 900 });
    expect(ra.clickSignals("c", "ann", "l1", 1_600)).toMatchObject({ recentClicks: 2, firstOpenAt: 900 });
    expect(ra.clickSignals("c", "ann", "l3", 5_000)).toMatchObject({ recentClicks: 1, firstOpenAt: 900 });
    expect(ra.clickSignals("c", "bob", "l1", Number.NaN)).toMatchObject({
      recentClicks: 0,
      firstOpenAt: undefined,
    });
  });
});

describe("classified", () => {
  const click = (
    ra: RecentActivity,
    link: string,
    at: number,
    cls: "human" | "bot" | "scanner",
    u = "ann",
  ) => {
    const signals = ra.clickSignals("c", u, link, at);
    return ra.classified(signals, link, at, cls, signals.recentClicks >= 3);
  };

  it("gives back a burst's earlier clicks when its third distinct link gives the scanner away, once", () => {
    const ra = new RecentActivity();
    expect(click(ra, "l1", 1_000, "human")).toEqual([]);
    expect(click(ra, "l1", 1_200, "human")).toEqual([]); // the same link again
    expect(click(ra, "l2", 1_400, "bot")).toEqual([]);
    expect(click(ra, "l3", 1_600, "scanner")).toEqual([
      { at: 1_000, linkId: "l1", class: "human" },
      { at: 1_200, linkId: "l1", class: "human" },
      { at: 1_400, linkId: "l2", class: "bot" },
    ]);
    expect(click(ra, "l4", 1_800, "scanner")).toEqual([]); // the rest of the burst: known already
    expect(click(ra, "l1", 1_900, "human", "bob")).toEqual([]); // another recipient
  });

  it("forgets clicks once the window has passed: a click before the burst is never corrected", () => {
    const ra = new RecentActivity();
    click(ra, "l1", 1_000, "human");
    // 2.7 s later: l1 is out of the window, so l2 and l3 are two links, not a burst.
    click(ra, "l2", 3_500, "human");
    expect(click(ra, "l3", 3_700, "human")).toEqual([]);
    expect(click(ra, "l4", 3_800, "scanner").map((c) => c.linkId)).toEqual(["l2", "l3"]);
  });
});
