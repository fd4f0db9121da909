// The campaign series (GET /v1/campaigns/:id/series) on a real SQLite file: what its index
// (events by campaign and time, migration 21) costs each logged hit, and what a 24-hour
// series costs to read, as ratios to baselines measured in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/node/sqlite/store.js";

const ROWS = 300_000;
const BATCH = 2_000;
const CLASSES = ["human", "human", "human", "apple_mpp", "gmail_proxy", "bot", "scanner"];

export async function benchSeries(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "opentime-bench-series-"));
  try {
    const withIndex = openDatabase(join(dir, "with.db"));
    const without = openDatabase(join(dir, "without.db"));
    without.exec("DROP INDEX events_campaign_at");
    const insert = (db: typeof withIndex) =>
      db.prepare(
        "INSERT INTO events (at, kind, campaign, link_id, recipient, class, reasons, ip, user_agent, method) VALUES (?, ?, ?, NULL, ?, ?, '[]', NULL, NULL, 'GET')",
      );
    const ins = [insert(withIndex), insert(without)] as const;
    const dbs = [withIndex, without] as const;
    const start = Date.now() - 86_400_000;
    const ms: [number, number] = [0, 0];
    // Alternating batches, so both see the same load of the moment.
    for (let b = 0; b < ROWS / BATCH; b++) {
      const rows = Array.from({ length: BATCH }, (_, i) => {
        const n = b * BATCH + i;
        return [
          start + Math.floor((n / ROWS) * 86_400_000),
          n % 5 ? "open" : "click",
          `c${n % 4}`,
          `r${n % 50_000}`,
          CLASSES[n % 7]!,
        ];
      });
      for (const k of (b % 2 ? [1, 0] : [0, 1]) as (0 | 1)[]) {
        const t = performance.now();
        dbs[k].transaction(() => {
          for (const r of rows) ins[k].run(...r);
        })();
        ms[k] += performance.now() - t;
      }
    }
    const series = withIndex.prepare(
      "SELECT CAST((at - @from) / @interval AS INTEGER) AS bucket, kind, class, count(*) AS n FROM events WHERE campaign = @campaign AND at >= @from AND at < @to GROUP BY 1, 2, 3",
    );
    const count = withIndex.prepare("SELECT count(*) AS n FROM events WHERE campaign = ?");
    const time = (f: () => unknown, n = 20) => {
      const t = performance.now();
      for (let i = 0; i < n; i++) f();
      return (performance.now() - t) / n;
    };
    const args = { campaign: "c1", from: start, to: start + 86_400_000, interval: 300_000 };
    const seriesMs = time(() => series.all(args));
    const countMs = time(() => count.get("c1"));
    const perCampaign = (count.get("c1") as { n: number }).n;
    console.log(
      JSON.stringify(
        {
          rows: ROWS,
          insertMsWithIndex: Math.round(ms[0]!),
          insertMsWithout: Math.round(ms[1]!),
          insertCostRatio: +(ms[0]! / ms[1]!).toFixed(2),
          rowsInCampaign: perCampaign,
          series24hMs: +seriesMs.toFixed(1),
          countBaselineMs: +countMs.toFixed(1),
          seriesToCountRatio: +(seriesMs / countMs).toFixed(2),
        },
        null,
        2,
      ),
    );
    withIndex.close();
    without.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
