import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../../core/ports/index.js";
import { aggregateActivity } from "../../core/profiles/activity.js";
import { trackEvent } from "../../core/testing/track-event.js";
import { tempDbFiles } from "../testing/temp-files.js";
import { ActivityStage } from "./activity-stage.js";
import { createActivityTable, type HashOf } from "./activity-table.js";
import { MACHINE_CLASSES } from "./migrations.js";
import { openDatabase } from "./store.js";

// The email_activity table's two ways of adding deltas, on real SQLite files: a fold's
// stage while nobody is erased, every person by shape, many rows per UPSERT; rows once
// anyone is, a delta at a time (UPDATE, then INSERT unless the new person was erased). Both
// must leave the same rows.
const file = tempDbFiles("opentime-activity-table-");
const hashOf: HashOf = (k: string) => `h:${k}`;

/**
 * Three rounds of hits: every kind and class, hours across the day, people new and known;
 * then one where all 40 open as humans in the same hour (one shape: runs of 16, 16, 4, 4).
 */
function rounds(): TrackEvent[][] {
  const classes: TrackEvent["class"][] = ["human", ...MACHINE_CLASSES];
  const start = Date.UTC(2026, 10, 20, 0, 30);
  let n = 0;
  const sameHour = Array.from({ length: 40 }, (_, i) =>
    trackEvent({ recipient: `p${i}@x.com`, at: start + 5 * 86_400_000 + i * 1_000 }),
  );
  const mixed = [0, 1, 2].map((round) =>
    Array.from({ length: 70 }, () => {
      const i = n++;
      return trackEvent({
        // 40 people: each round meets some again and, in the first two, some for the first time.
        recipient: `p${(i * 7) % (20 + 10 * round)}@x.com`,
        kind: i % 3 ? "open" : "click",
        class: classes[i % classes.length]!,
        at: start + i * 37 * 60_000, // a hit every 37 minutes: every hour of the day, 3 days
      });
    }),
  );
  return [...mixed, sameHour];
}

function fill(path: string, opts: { someoneErased: boolean }) {
  const db = openDatabase(path);
  if (opts.someoneErased)
    db.prepare("INSERT INTO erased_identities (hash, at) VALUES ('h:nobody-here', 1)").run();
  const table = createActivityTable(db);
  for (const hits of rounds()) {
    const stage = new ActivityStage();
    for (const h of hits) stage.add(h);
    db.transaction(() => {
      if (opts.someoneErased) table.add(aggregateActivity(hits).values(), hashOf);
      else table.addStaged(stage, stage.sorted());
    }).immediate();
  }
  const rows = db.prepare("SELECT * FROM email_activity ORDER BY key").all();
  db.close();
  return rows;
}

describe("email activity rows", () => {
  it("come out the same added from a stage by shape many at a time as one at a time", () => {
    const byShape = fill(file(), { someoneErased: false });
    const oneByOne = fill(file(), { someoneErased: true });
    expect(byShape).toHaveLength(40);
    expect(byShape).toEqual(oneByOne);
    // Sums of known people, machine counts and decayed engagement all moved.
    const p0 = byShape[0] as { opens: number; clicks: number; machine_opens: number; machine_clicks: number };
    expect(p0.opens + p0.clicks + p0.machine_opens + p0.machine_clicks).toBeGreaterThan(3);
    expect(byShape.some((r) => (r as { engagement: number }).engagement > 0)).toBe(true);
    expect(byShape.some((r) => (r as { m_scanner: number }).m_scanner > 0)).toBe(true);
  });
});
