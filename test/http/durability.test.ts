import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { budgetFor, spawnServer, startBudget } from "../helpers/process.js";
import { TEST_API_KEY, TEST_SECRET, tempDir, UA } from "../helpers/server.js";

const dataDir = tempDir();
const env = { OPENTIME_DATA_DIR: dataDir, OPENTIME_API_KEY: TEST_API_KEY, OPENTIME_SECRET: TEST_SECRET };
const auth = { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Waits until the server says `n` opens/clicks are committed (its /metrics), bounded. */
async function committed(url: string, n: number) {
  await vi.waitFor(
    async () => {
      const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
      expect(Number(/^opentime_events_written_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(n);
    },
    { timeout: startBudget(), interval: 20 },
  );
}

async function burst(url: string, linkUrl: string, from: number, n: number) {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      Promise.all([
        fetch(`${url}/o/durable.gif?u=r${from + i}`, { headers: { "user-agent": UA.chromeDesktop } }),
        fetch(`${linkUrl}?u=r${from + i}`, {
          redirect: "manual",
          headers: { "user-agent": UA.iphoneSafari },
        }),
      ]),
    ),
  );
}

describe("durability", () => {
  it("keeps every answered open and click across a graceful restart and a crash after the batch window", {
    timeout: budgetFor(5),
  }, async () => {
    let srv = await spawnServer(env);
    const created = await fetch(`${srv.url}/v1/links`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: "https://shop.example/durable", campaign: "durable" }),
    });
    const { id } = (await created.json()) as { id: string };

    // 1. Graceful: answered, then SIGTERM straight away (inside the batch window): all kept.
    await burst(srv.url, `${srv.url}/c/${id}`, 0, 150);
    srv.child.kill("SIGTERM");
    expect(await srv.exited).toBe(0);

    srv = await spawnServer(env);
    let stats = (await (
      await fetch(`${srv.url}/v1/campaigns/durable/stats`, { headers: auth })
    ).json()) as any;
    expect(stats.opens).toMatchObject({ total: 150, unique: 150 });
    expect(stats.clicks).toMatchObject({ total: 150, unique: 150 });

    // 2. Crash: SIGKILL once the group commit holding the hits is done: nothing lost.
    await burst(srv.url, `${srv.url}/c/${id}`, 150, 100);
    await committed(srv.url, 200);
    srv.child.kill("SIGKILL");
    await srv.exited;

    srv = await spawnServer(env);
    stats = (await (await fetch(`${srv.url}/v1/campaigns/durable/stats`, { headers: auth })).json()) as any;
    expect(stats.opens.total).toBe(250);
    expect(stats.clicks.total).toBe(250);
    expect(stats.clicks.unique).toBe(250);
    srv.child.kill("SIGTERM");
    expect(await srv.exited).toBe(0);
  });

  it("keeps each person's email activity across a crash before it was folded, and a graceful stop", {
    timeout: budgetFor(5),
  }, async () => {
    const dir = tempDir();
    // A fold window longer than the test: only a graceful stop or a recovery adds the hits.
    const slow = { ...env, OPENTIME_DATA_DIR: dir, OPENTIME_ACTIVITY_FOLD_MS: "60000" };
    const activityRow = (key: string) => {
      const db = new Database(join(dir, DB_FILE), { readonly: true });
      try {
        return db.prepare("SELECT opens, clicks FROM email_activity WHERE key = ?").get(key) ?? null;
      } finally {
        db.close();
      }
    };
    const profile = async (url: string, who: string) =>
      (await (await fetch(`${url}/v1/profiles/${encodeURIComponent(who)}`, { headers: auth })).json()) as any;
    try {
      let srv = await spawnServer(slow);
      const { id } = (await (
        await fetch(`${srv.url}/v1/links`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ url: "https://shop.example/fold", campaign: "fold" }),
        })
      ).json()) as { id: string };
      const hits = (u: string) =>
        Promise.all([
          fetch(`${srv.url}/o/fold.gif?u=${u}`, { headers: { "user-agent": UA.chromeDesktop } }),
          fetch(`${srv.url}/c/${id}?u=${u}`, {
            redirect: "manual",
            headers: { "user-agent": UA.chromeDesktop },
          }),
        ]);

      // Crash: logged (the batch committed), not yet in email activity, then SIGKILL.
      await hits("crash%40example.com");
      await committed(srv.url, 2);
      expect(activityRow("e:crash@example.com")).toBeNull();
      srv.child.kill("SIGKILL");
      await srv.exited;
      srv = await spawnServer(slow);
      // The writer thread recovers as it starts, beside the listening server.
      const up = srv;
      await vi.waitFor(() => expect(up.stdout()).toContain("folded the opens/clicks an earlier stop left"), {
        timeout: startBudget(),
      });
      expect(activityRow("e:crash@example.com")).toEqual({ opens: 1, clicks: 1 });
      expect((await profile(srv.url, "crash@example.com")).email).toMatchObject({ opens: 1, clicks: 1 });

      // Graceful: SIGTERM folds before the process ends; the next start has nothing to do.
      await hits("calm%40example.com");
      srv.child.kill("SIGTERM");
      expect(await srv.exited).toBe(0);
      expect(activityRow("e:calm@example.com")).toEqual({ opens: 1, clicks: 1 });
      srv = await spawnServer(slow);

      // The profile API reads every acknowledged hit at once (it settles the fold first).
      await hits("now%40example.com");
      expect((await profile(srv.url, "now@example.com")).email).toMatchObject({ opens: 1, clicks: 1 });
      expect(activityRow("e:calm@example.com")).toEqual({ opens: 1, clicks: 1 });
      srv.child.kill("SIGTERM");
      expect(await srv.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
