import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { createPruner } from "../../src/node/sqlite/retention.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { startTestServer, type TestServer, tempDir, UA } from "../helpers/server.js";

const DAY = 86_400_000;

describe("log retention (OPENTIME_EVENT_RETENTION_DAYS)", () => {
  const dataDir = tempDir();
  let s: TestServer;
  afterAll(async () => {
    await s?.cleanup();
  });
  const rows = (sql: string) => {
    const db = new Database(join(dataDir, DB_FILE), { readonly: true });
    try {
      return db.prepare(sql).pluck().get() as number;
    } finally {
      db.close();
    }
  };
  const open = (u: string) =>
    fetch(`${s.url}/o/ret.gif?u=${u}`, { headers: { "user-agent": UA.iphoneSafari } });

  it("drops log rows older than the retention; totals, uniques and profiles keep counting them", async () => {
    // Three opens logged three days ago, by a server keeping everything…
    const then = Date.now() - 3 * DAY;
    s = await startTestServer({}, dataDir, { clock: { now: () => then } });
    for (const u of ["ann%40x.com", "bob%40x.com", "cy%40x.com"]) expect((await open(u)).status).toBe(200);
    await s.close();
    expect(rows("SELECT COUNT(*) FROM events WHERE campaign = 'ret'")).toBe(3);

    // …then a server keeping one day: its first commit starts a run that drops them.
    s = await startTestServer({ OPENTIME_EVENT_RETENTION_DAYS: "1" }, dataDir);
    for (const u of ["ann%40x.com", "dee%40x.com"]) expect((await open(u)).status).toBe(200);
    const stats = (await (await s.api("/v1/campaigns/ret/stats")).json()) as any;
    expect(stats.opens.total).toBe(5);
    expect(stats.opens.unique).toBe(4);
    for (let i = 0; i < 200 && rows("SELECT COUNT(*) FROM events WHERE campaign = 'ret'") > 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(rows(`SELECT COUNT(*) FROM events WHERE campaign = 'ret' AND at < ${Date.now() - DAY}`)).toBe(0);
    expect(rows("SELECT COUNT(*) FROM events WHERE campaign = 'ret'")).toBe(2);
    // Her opens count both; her history (built from the log) shows the one still held.
    const ann = (await (await s.api("/v1/profiles/ann@x.com")).json()) as any;
    expect(ann.email.opens).toBe(2);
    expect(ann.history.filter((h: any) => h.type === "email")).toHaveLength(1);
  });
});

describe("the pruner", () => {
  it("cuts where the young rows start, in slices, in both logs, and leaves the young ones", () => {
    const db = openDatabase(join(tempDir(), "p.db"));
    const t0 = 1_000 * DAY;
    const ev = db.prepare(
      "INSERT INTO events (at, kind, campaign, link_id, recipient, class, reasons, ip, user_agent, method) VALUES (?, 'open', 'c', NULL, ?, 'human', '[]', NULL, NULL, 'GET')",
    );
    const dec = db.prepare(
      "INSERT INTO decisions (at, block_id, recipient, variant, slots) VALUES (?, 'b', ?, 'v', NULL)",
    );
    db.transaction(() => {
      for (let i = 0; i < 12_000; i++) ev.run(t0 - 5 * DAY + i, `old${i}`);
      for (let i = 0; i < 300; i++) ev.run(t0 - DAY / 2 + i, `young${i}`);
      for (let i = 0; i < 10; i++) dec.run(t0 - 3 * DAY, `old${i}`);
      dec.run(t0, "young");
    })();
    const pruner = createPruner(db, 1, () => t0);
    pruner.plan();
    let slices = 0;
    while (pruner.slice()) slices++;
    slices++;
    expect(slices).toBe(4); // 12,000 events in slices of 5,000, then the decisions
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    expect(count("SELECT COUNT(*) FROM events")).toBe(300);
    expect(count("SELECT COUNT(*) FROM events WHERE recipient LIKE 'old%'")).toBe(0);
    expect(count("SELECT COUNT(*) FROM decisions")).toBe(1);
    // Nothing old left: a new run plans nothing.
    pruner.plan();
    expect(pruner.slice()).toBe(false);
    expect(count("SELECT COUNT(*) FROM events")).toBe(300);
    db.close();
  });
});
