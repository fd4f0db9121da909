import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../../core/ports/index.js";
import { aggregateActivity } from "../../core/profiles/activity.js";
import { trackEvent } from "../../core/testing/track-event.js";
import { ActivityStage } from "./activity-stage.js";
import { MACHINE_CLASSES } from "./migrations.js";

// The fold's column-wise stage must make the deltas the core's aggregateActivity makes
// (the profile store and the in-memory store add those), and keep each person's first hit
// of every campaign, kind and recipient spelling as a unique.
const classes: TrackEvent["class"][] = ["human", ...MACHINE_CLASSES];

/** Hits out of time order, spellings of one email, every kind and class, some without u. */
function hits(n: number, seed: number): TrackEvent[] {
  let x = seed;
  const rand = (m: number) => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x % m;
  };
  const start = Date.UTC(2026, 10, 29, 0, 0);
  return Array.from({ length: n }, () => {
    const who = rand(12);
    return trackEvent({
      recipient: who === 11 ? null : who === 10 ? "P3@X.com " : who < 5 ? `p${who}@x.com` : `esp-id-${who}`,
      kind: rand(3) ? "open" : "click",
      class: classes[rand(classes.length)]!,
      campaign: `c${rand(3)}`,
      at: start + rand(3 * 86_400) * 1_000,
    });
  });
}

describe("the fold's activity stage", () => {
  it("makes the deltas aggregateActivity makes, person by person", () => {
    for (const seed of [1, 2, 3]) {
      const batch = hits(400, seed);
      const stage = new ActivityStage();
      for (const h of batch) stage.add(h);
      const expected = aggregateActivity(batch);
      expect(stage.size).toBe(expected.size);
      const got = stage.sorted().map((slot) => stage.row(slot));
      expect(got.map((r) => r.key)).toEqual([...expected.keys()].sort());
      for (const row of got) expect(row).toEqual(expected.get(row.key));
    }
  });

  it("keeps the first hit of each campaign, kind and recipient as a unique, with its class", () => {
    const stage = new ActivityStage();
    const at = Date.UTC(2026, 10, 29, 9, 0);
    for (const h of [
      trackEvent({ recipient: "a@x.com", kind: "open", class: "apple_mpp", campaign: "c1", at }),
      trackEvent({ recipient: "a@x.com", kind: "open", class: "human", campaign: "c1", at: at + 1 }),
      trackEvent({ recipient: "a@x.com", kind: "click", class: "human", campaign: "c1", at: at + 2 }),
      trackEvent({ recipient: "A@x.com", kind: "open", class: "human", campaign: "c1", at: at + 3 }),
      trackEvent({ recipient: "a@x.com", kind: "open", class: "scanner", campaign: "c2", at: at + 4 }),
      trackEvent({ recipient: null, kind: "open", class: "human", campaign: "c1", at: at + 5 }),
    ])
      stage.add(h);
    expect(stage.size).toBe(1);
    expect(stage.uniqueCount).toBe(4);
    const uniques: string[] = [];
    stage.forEachUnique(stage.sorted()[0]!, (c, k, r, cls) => uniques.push(`${c} ${k} ${r} ${cls}`));
    expect(uniques).toEqual([
      "c1 open a@x.com apple_mpp",
      "c1 click a@x.com human",
      "c1 open A@x.com human",
      "c2 open a@x.com scanner",
    ]);
  });

  it("starts empty again once cleared, its buffers reused past their first size", () => {
    const stage = new ActivityStage();
    const batch = hits(5_000, 7).map((h, i) => ({ ...h, recipient: `r${i % 3_000}@x.com` }));
    for (const h of batch) stage.add(h);
    expect(stage.size).toBe(3_000);
    stage.clear();
    expect(stage.size).toBe(0);
    expect(stage.uniqueCount).toBe(0);
    const again = hits(300, 8);
    for (const h of again) stage.add(h);
    const expected = aggregateActivity(again);
    for (const slot of stage.sorted()) expect(stage.row(slot)).toEqual(expected.get(stage.key(slot)));
  });

  it("gives a burst's buffers back after a quieter window, and stages right after", () => {
    const stage = new ActivityStage();
    const at = Date.UTC(2026, 10, 30, 8, 0);
    for (let i = 0; i < 20_000; i++) stage.add(trackEvent({ recipient: `p${i}@x.com`, at }));
    expect(stage.capacity).toBe(32_768);
    stage.clear(); // the burst's own window: its buffers are kept for the next
    expect(stage.capacity).toBe(32_768);
    for (let i = 0; i < 100; i++) stage.add(trackEvent({ recipient: `q${i}@x.com`, at }));
    stage.clear(); // a quiet window after it: given back
    expect(stage.capacity).toBe(0);
    const batch = hits(300, 9);
    for (const h of batch) stage.add(h);
    const expected = aggregateActivity(batch);
    expect(stage.size).toBe(expected.size);
    for (const slot of stage.sorted()) expect(stage.row(slot)).toEqual(expected.get(stage.key(slot)));
  });
});
