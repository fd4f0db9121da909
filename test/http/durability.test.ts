import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { spawnServer } from "../helpers/process.js";
import { TEST_API_KEY, TEST_SECRET, tempDir, UA } from "../helpers/server.js";

const dataDir = tempDir();
const env = { OPENTIME_DATA_DIR: dataDir, OPENTIME_API_KEY: TEST_API_KEY, OPENTIME_SECRET: TEST_SECRET };
const auth = { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

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
  it("keeps every answered open and click across a graceful restart and a crash after the batch window", async () => {
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

    // 2. Crash: SIGKILL after the group-commit window (50 ms) has passed: nothing lost.
    await burst(srv.url, `${srv.url}/c/${id}`, 150, 100);
    await new Promise((r) => setTimeout(r, 300));
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
});
