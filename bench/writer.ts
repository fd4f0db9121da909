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
 * Then the same writer after an erasure (someone on the erased list: every new key and
 * folded person is checked against it) beside nobody erased, same run.
 * Then render decisions (an open of a block with variants), same batches and pools: as
 * shipped against the same writer with the two indexes by recipient it had before
 * migration 12 (the ratio is what dropping them saved).
 */
export async function benchWriter(hits = Number(process.env.BENCH_WRITER_HITS ?? 300_000)) {
  const BATCH = 1_500;
  type Cpu = { usPerHit: number; sysUsPerHit: number };
  const rows: ({ name: string; pool: number } & Cpu)[] = [];
  const summary: Record<string, unknown> = { hits, batch: BATCH };
  // A stride through the pool: every recipient before any twice, in no page order.
  const recipient = (i: number, pool: number) => `r${(i * 7919) % pool}@example.com`;

  /** CPU per hit of `hits` hits in batches, on a fresh SQLite file; `setup` returns the batch writer. */
  const cpuPerHit = (
    setup: (db: ReturnType<typeof openDatabase>) => { batch(first: number): void; end(): void },
  ): Cpu => {
    const dir = mkdtempSync(join(tmpdir(), "opentime-bench-writer-"));
    try {
      const db = openDatabase(join(dir, "bench.db"), { checkpointPages: WRITER_CHECKPOINT_PAGES });
      const writer = setup(db);
      const t0 = process.cpuUsage();
      for (let i = 0; i < hits; i += BATCH) writer.batch(i);
      writer.end();
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

  /** Baseline and opentime alternated twice per pool (the machine's speed drifts), means. */
  const compare = (
    key: string,
    unit: string,
    names: [baseline: string, opentime: string],
    measure: (pool: number, opentime: boolean) => Cpu,
  ) => {
    for (const pool of [50_000, 1_000_000]) {
      const us: [number[], number[]] = [[], []];
      for (let r = 0; r < 2; r++)
        for (const side of [0, 1] as const) {
          const m = measure(pool, side === 1);
          rows.push({ name: names[side], pool, ...m });
          us[side].push(m.usPerHit);
        }
      const [base, ot] = us.map((xs) => xs.reduce((a, x) => a + x, 0) / xs.length) as [number, number];
      summary[`${key}${pool}`] = {
        [`baselineUsPer${unit}`]: +base.toFixed(1),
        [`opentimeUsPer${unit}`]: +ot.toFixed(1),
        ratio: +(ot / base).toFixed(2),
      };
    }
  };

  /** The writer thread's work; `erasedBefore`: someone is on the erased list (the path after an erasure). */
  const writerThread = (pool: number, people: boolean, erasedBefore = false) =>
    cpuPerHit((db) => {
      if (erasedBefore)
        db.prepare("INSERT INTO erased_identities (hash, at) VALUES ('someone-erased', 0)").run();
      const indexer = createLogIndexer(db);
      let now = 0;
      const hashOf = (k: string) => createHmac("sha256", "bench").update(k).digest("base64url");
      const folder = people ? createActivityFolder(db, hashOf, { now: () => now }) : null;
      const write = createEventWriter(db, { erasedKeys: folder?.erasedKeys, indexer, uniquesLater: people });
      const tx = db.transaction((b: TrackEvent[]) => write(b));
      return {
        batch(first) {
          const batch: TrackEvent[] = [];
          for (let i = first; i < first + BATCH; i++)
            batch.push({
              at: Date.now(),
              kind: i % 2 ? "open" : "click",
              campaign: "bench",
              linkId: i % 2 ? null : "l1",
              recipient: recipient(i, pool),
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
        },
        end() {
          folder?.fold();
          indexer.run();
        },
      };
    });
  compare("pool", "Hit", ["baseline: the log alone", "opentime writer thread"], (pool, people) =>
    writerThread(pool, people),
  );
  // After the first erasure every new key of a batch and every folded person is checked
  // against the erased list (an HMAC each): the path production takes from then on.
  compare(
    "afterErasurePool",
    "Hit",
    ["opentime writer thread, nobody erased", "opentime writer thread, after an erasure"],
    (pool, after) => writerThread(pool, true, after),
  );

  // Render decisions (blocks with variants), the same thread's other per-open write: as
  // shipped vs with the two indexes by recipient migration 12 dropped.
  compare(
    "decisionsPool",
    "Render",
    ["baseline: decisions, indexed by recipient", "opentime decisions"],
    (pool, shipped) =>
      cpuPerHit((db) => {
        if (!shipped)
          db.exec(`CREATE INDEX decisions_recipient ON decisions(recipient) WHERE recipient IS NOT NULL;
                   CREATE INDEX decision_uniques_recipient ON decision_uniques(recipient);`);
        const write = createDecisionWriter(db);
        return {
          batch(first) {
            const batch: DecisionEntry[] = [];
            for (let i = first; i < first + BATCH; i++)
              batch.push({
                at: Date.now(),
                kind: "open",
                blockId: `blk_${i % 3}`,
                recipient: recipient(i, pool),
                variant: i % 2 ? "a" : "b",
                slots: {},
              });
            write(batch);
          },
          end() {},
        };
      }),
  );
  report("writer", rows, summary);
  return summary;
}
