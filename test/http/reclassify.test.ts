import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { type ServerProcess, spawnServer } from "../helpers/process.js";
import {
  startTestServer,
  TEST_API_KEY,
  TEST_SECRET,
  type TestServer,
  tempDir,
  UA,
} from "../helpers/server.js";

/**
 * A link scanner walking an email clicks its links one after another: the first two look
 * like a person's and only the third distinct link within 2 s gives it away. The first two
 * are then reclassified, so the scanned recipient is never a (unique) human clicker, in the
 * campaign's stats and in their profile.
 */
const servers: TestServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// The server's clock, moved by the test: the burst window is exact.
let now = Date.parse("2026-12-01T09:00:00.000Z");
const clock = { now: () => now };

async function linksIn(s: { url: string }, auth: Record<string, string>, campaign: string, n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${s.url}/v1/links`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ url: `https://shop.example/p/${i}`, campaign }),
    });
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

const click = (base: string, id: string, u: string) =>
  fetch(`${base}/c/${id}?u=${encodeURIComponent(u)}`, {
    redirect: "manual",
    headers: { "user-agent": UA.chromeDesktop },
  });

const auth = { authorization: `Bearer ${TEST_API_KEY}` };
const json = async (s: { url: string }, path: string) =>
  (await (await fetch(`${s.url}${path}`, { headers: auth })).json()) as any;

describe("a scanner's first clicks, reclassified once the burst shows it", () => {
  it("counts the whole burst as a scanner in the campaign's stats and the person's profile", async () => {
    const s = await startTestServer({}, tempDir(), { clock });
    servers.push(s);
    const ids = await linksIn(s, auth, "scan-1", 3);
    await click(s.url, ids[0]!, "person@x.example"); // a person, alone
    now += 60_000;
    for (const id of ids) {
      await click(s.url, id, "scanned@x.example"); // 400 ms apart: the third reveals it
      now += 400;
    }
    const stats = await json(s, "/v1/campaigns/scan-1/stats");
    expect(stats.clicks).toEqual({
      total: 4,
      unique: 2,
      byClass: { human: 1, scanner: 3 },
      uniqueByClass: { human: 1, scanner: 1 },
    });
    const scanned = await json(s, "/v1/profiles/scanned@x.example");
    expect(scanned.email).toMatchObject({
      clicks: 0,
      machineClicks: 3,
      machineByClass: { scanner: 3 },
      lastClickAt: null,
    });
    expect(scanned.email.hours.every((h: number) => h === 0)).toBe(true);
    expect(scanned.engagement.score).toBe(0);
    expect(scanned.history.map((h: any) => [h.event, h.class])).toEqual([
      ["click", "scanner"],
      ["click", "scanner"],
      ["click", "scanner"],
    ]);
    const person = await json(s, "/v1/profiles/person@x.example");
    expect(person.email).toMatchObject({ clicks: 1, machineClicks: 0 });
  });

  it("keeps a person who clicked before a later burst a human unique clicker", async () => {
    const s = await startTestServer({}, tempDir(), { clock });
    servers.push(s);
    const ids = await linksIn(s, auth, "scan-2", 3);
    await click(s.url, ids[0]!, "early@x.example");
    now += 3_600_000; // an hour later, a scanner re-checks every link for them
    for (const id of ids) {
      await click(s.url, id, "early@x.example");
      now += 300;
    }
    const stats = await json(s, "/v1/campaigns/scan-2/stats");
    expect(stats.clicks).toEqual({
      total: 4,
      unique: 1,
      byClass: { human: 1, scanner: 3 },
      uniqueByClass: { human: 1 },
    });
    const p = await json(s, "/v1/profiles/early@x.example");
    expect(p.email).toMatchObject({ clicks: 1, machineClicks: 3 });
    expect(p.email.lastClickAt).not.toBeNull();
  });

  it("is recovered from the log after a crash, before the activity fold ran", async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const env = {
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_API_KEY: TEST_API_KEY,
      OPENTIME_SECRET: TEST_SECRET,
      // Nothing folded before the crash: the next start folds from the log.
      OPENTIME_ACTIVITY_FOLD_MS: "60000",
    };
    const startedAt = Date.now();
    let srv: ServerProcess = await spawnServer(env);
    // This machine's pace, measured: a start-up takes longer than any commit of the writer.
    const startMs = Date.now() - startedAt;
    const ids = await linksIn(srv, auth, "scan-3", 3);
    // All three at once, as scanners fetch: whichever order they arrive in, the third reveals it.
    await Promise.all(ids.map((id) => click(srv.url, id, "crash@x.example")));
    // Until the log holds the three clicks and the two corrections (bounded by the start-up's
    // time: past it, the asserts below say what is missing).
    const db = new Database(join(dataDir, DB_FILE), { readonly: true });
    const rows = db.prepare("SELECT count(*) FROM events WHERE recipient = 'crash@x.example'").pluck();
    for (const until = Date.now() + startMs; (rows.get() as number) < 5 && Date.now() < until; )
      await new Promise((r) => setTimeout(r, 20));
    db.close();
    srv.child.kill("SIGKILL");
    await srv.exited;

    srv = await spawnServer(env);
    try {
      const p = await json(srv, "/v1/profiles/crash@x.example");
      expect(p.email).toMatchObject({ clicks: 0, machineClicks: 3, machineByClass: { scanner: 3 } });
      const stats = await json(srv, "/v1/campaigns/scan-3/stats");
      expect(stats.clicks).toEqual({
        total: 3,
        unique: 1,
        byClass: { scanner: 3 },
        uniqueByClass: { scanner: 1 },
      });
    } finally {
      srv.child.kill("SIGTERM");
      await srv.exited;
    }
  }, 60_000);
});
