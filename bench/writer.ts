import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DecisionEntry } from "../src/core/ports/decisions.js";
import type { TrackEvent } from "../src/core/ports/index.js";
import { createActivityFolder } from "../src/node/sqlite/activity-fold.js";
import { createDecisionWriter } from "../src/node/sqlite/decision-store.js";
import { createLogIndexer } from "../src/node/sqlite/log-index.js";
import { createEventWriter, openDatabase, WRITER_CHECKPOINT_PAGES } from "../src/node/sqlite/store.js";
import { report } from "./lib.js";

/**
 * The event writer thread's work per open/click, in-process (no HTTP): CPU µs per hit for
 * batches of 1,500 hits (75 ms of a 20,000 hits/s storm) spread over a pool of recipients.
 *   - baseline, same run: the log alone (rows, campaign counters, uniques per batch, the
 *     log's recipient index) — what the store does without people;
 *   - opentime: the writer thread as shipped — the same log plus each person's email
 *     activity and the campaign uniques, folded every 2 s (activity-fold.ts).
 * Two pools: 50,000 recipients (the redirect bench's) and a million (a big send, where
 * nearly every hit is someone new and lands on a random page). The ratio is the price of
 * the per-person work; lower is better.
 * Then render decisions (an open of a block with variants), same batches and pools: as
 * shipped against the same writer with the two indexes by recipient it had before
 * migration 12 (the ratio is what dropping them saved).
 */
export async function benchWriter(hits = Number(process.env.BENCH_WRITER_HITS ?? 300_000)) {
  const BATCH = 1_500;
  const rows: { name: string; pool: number; usPerHit: number; sysUsPerHit: number }[] = [];
  const run = (pool: number, people: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), "opentime-bench-writer-"));
    try {
      const db = openDatabase(join(dir, "bench.db"), { checkpointPages: WRITER_CHECKPOINT_PAGES });
      const indexer = createLogIndexer(db);
      let now = 0;
      const hashOf = (k: string) => createHmac("sha256", "bench").update(k).digest("base64url");
      const folder = people ? createActivityFolder(db, hashOf, { now: () => now }) : null;
      const write = createEventWriter(db, { erasedKeys: folder?.erasedKeys, indexer, uniquesLater: people });
      const tx = db.transaction((b: TrackEvent[]) => write(b));
      const t0 = process.cpuUsage();
      for (let i = 0; i < hits; ) {
        const batch: TrackEvent[] = [];
        for (let j = 0; j < BATCH; j++, i++)
          batch.push({
            at: Date.now(),
            kind: i % 2 ? "open" : "click",
            campaign: "bench",
            linkId: i % 2 ? null : "l1",
            // A stride through the pool: every recipient before any twice, in no page order.
            recipient: `r${(i * 7919) % pool}@example.com`,
            class: "human",
            reasons: [],
            ip: "127.0.0.1",
            userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0",
            method: "GET",
          });
        const { logged, through } = tx.immediate(batch);
        folder?.stage(logged, through);
        now += 75;
        if (folder?.due) folder.fold();
        if (indexer.due) indexer.run();
      }
      folder?.fold();
      indexer.run();
      const c = process.cpuUsage(t0);
      db.close();
      return {
        usPerHit: +((c.user + c.system) / hits).toFixed(1),
        sysUsPerHit: +(c.system / hits).toFixed(1),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const summary: Record<string, unknown> = { hits, batch: BATCH };
  for (const pool of [50_000, 1_000_000]) {
    // Alternated, means of two: the machine's speed drifts.
    const base: number[] = [];
    const ot: number[] = [];
    for (let r = 0; r < 2; r++) {
      const b = run(pool, false);
      rows.push({ name: "baseline: the log alone", pool, ...b });
      base.push(b.usPerHit);
      const o = run(pool, true);
      rows.push({ name: "opentime writer thread", pool, ...o });
      ot.push(o.usPerHit);
    }
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    summary[`pool${pool}`] = {
      baselineUsPerHit: +mean(base).toFixed(1),
      opentimeUsPerHit: +mean(ot).toFixed(1),
      ratio: +(mean(ot) / mean(base)).toFixed(2),
    };
  }

  // Render decisions (blocks with variants), the same thread's other per-open write: as
  // shipped vs with the two indexes by recipient migration 12 dropped, alternating.
  const decide = (pool: number, withRecipientIndexes: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), "opentime-bench-decisions-"));
    try {
      const db = openDatabase(join(dir, "bench.db"), { checkpointPages: WRITER_CHECKPOINT_PAGES });
      if (withRecipientIndexes)
        db.exec(`CREATE INDEX decisions_recipient ON decisions(recipient) WHERE recipient IS NOT NULL;
                 CREATE INDEX decision_uniques_recipient ON decision_uniques(recipient);`);
      const write = createDecisionWriter(db);
      const t0 = process.cpuUsage();
      for (let i = 0; i < hits; ) {
        const batch: DecisionEntry[] = [];
        for (let j = 0; j < BATCH; j++, i++)
          batch.push({
            at: Date.now(),
            kind: "open",
            blockId: `blk_${i % 3}`,
            recipient: `r${(i * 7919) % pool}@example.com`,
            variant: i % 2 ? "a" : "b",
            slots: {},
          });
        write(batch);
      }
      const c = process.cpuUsage(t0);
      db.close();
      return {
        usPerHit: +((c.user + c.system) / hits).toFixed(1),
        sysUsPerHit: +(c.system / hits).toFixed(1),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  for (const pool of [50_000, 1_000_000]) {
    const base: number[] = [];
    const ot: number[] = [];
    for (let r = 0; r < 2; r++) {
      const b = decide(pool, true);
      rows.push({ name: "baseline: decisions, indexed by recipient", pool, ...b });
      base.push(b.usPerHit);
      const o = decide(pool, false);
      rows.push({ name: "opentime decisions", pool, ...o });
      ot.push(o.usPerHit);
    }
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    summary[`decisionsPool${pool}`] = {
      baselineUsPerRender: +mean(base).toFixed(1),
      opentimeUsPerRender: +mean(ot).toFixed(1),
      ratio: +(mean(ot) / mean(base)).toFixed(2),
    };
  }
  report("writer", rows, summary);
  return summary;
}
