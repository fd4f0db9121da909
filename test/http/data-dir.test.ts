import { chmodSync, existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { budgetFor, type ServerProcess, spawnServer, startBudget } from "../helpers/process.js";
import { startTestServer, tempDir, UA } from "../helpers/server.js";

const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});
/** A data dir path that does not exist yet, as on a first start. */
function freshDataDir(): string {
  const root = tempDir();
  roots.push(root);
  return join(root, "data");
}

const WRITE_KEY = "wk_modes_0123456789abcdef";
const modeOf = (path: string) => statSync(path).mode & 0o777;
/** Every file and the dir itself, with its mode in octal, for one readable assertion. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { ".": modeOf(dir).toString(8) };
  for (const f of readdirSync(dir)) out[f] = modeOf(join(dir, f)).toString(8);
  return out;
}
const allPrivate = (dir: string) =>
  Object.fromEntries(Object.keys(modes(dir)).map((f) => [f, f === "." ? "700" : "600"]));

/**
 * Writes through every writer: the main thread (a link), the event-writer thread (an open and
 * a click) and the profile-writer thread (a Segment event), then waits until they are in.
 */
async function writeThroughEveryThread(url: string, key: string) {
  const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const link = await fetch(`${url}/v1/links`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ url: "https://shop.example/modes", campaign: "modes" }),
  });
  expect(link.status).toBe(201);
  const { id } = (await link.json()) as { id: string };
  const ua = { "user-agent": UA.chromeDesktop };
  await fetch(`${url}/o/modes.gif?u=ann%40x.com`, { headers: ua });
  await fetch(`${url}/c/${id}?u=ann%40x.com`, { redirect: "manual", headers: ua });
  const track = await fetch(`${url}/v1/track`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString("base64")}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ userId: "ann", event: "Product Viewed", properties: { product_id: "p1" } }),
  });
  expect(track.status).toBe(200); // acknowledged once committed on the profile-writer thread
  await vi.waitFor(
    async () => {
      const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
      expect(Number(/^opentime_events_written_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    },
    { timeout: startBudget(), interval: 20 },
  );
}

const running = new Set<ServerProcess>();
async function serve(env: Record<string, string>): Promise<ServerProcess> {
  const srv = await spawnServer(env);
  running.add(srv);
  srv.exited.then(() => running.delete(srv));
  return srv;
}
async function stop(srv: ServerProcess) {
  srv.child.kill("SIGTERM");
  expect(await srv.exited).toBe(0);
}
// A failed assertion leaves no server behind.
afterEach(async () => {
  for (const srv of running) srv.child.kill("SIGKILL");
  await Promise.all([...running].map((s) => s.exited));
});

describe("the data dir", () => {
  it("is private from the first start: the dir 0700, the database, its WAL and shared memory, and the keys 0600", {
    timeout: budgetFor(3),
  }, async () => {
    const dir = freshDataDir();
    const srv = await serve({ OPENTIME_DATA_DIR: dir, OPENTIME_WRITE_KEY: WRITE_KEY });
    const { OPENTIME_API_KEY } = (await import(join(dir, "secrets.json"), { with: { type: "json" } }))
      .default as { OPENTIME_API_KEY: string };
    await writeThroughEveryThread(srv.url, OPENTIME_API_KEY);
    // While it runs: SQLite's -wal and -shm files exist beside the database.
    expect(existsSync(join(dir, `${DB_FILE}-wal`))).toBe(true);
    expect(existsSync(join(dir, `${DB_FILE}-shm`))).toBe(true);
    expect(modes(dir)).toEqual(allPrivate(dir));
    await stop(srv);
    expect(modes(dir)).toEqual(allPrivate(dir));
  });

  it("makes an older version's readable data dir private at the next start", {
    timeout: budgetFor(4),
  }, async () => {
    const dir = freshDataDir();
    const first = await serve({ OPENTIME_DATA_DIR: dir, OPENTIME_WRITE_KEY: WRITE_KEY });
    const { OPENTIME_API_KEY } = (await import(join(dir, "secrets.json"), { with: { type: "json" } }))
      .default as { OPENTIME_API_KEY: string };
    await writeThroughEveryThread(first.url, OPENTIME_API_KEY);
    // Stopped by a crash, so the WAL and shared memory are left behind too.
    first.child.kill("SIGKILL");
    await first.exited;
    chmodSync(dir, 0o755);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
    expect(Object.keys(modes(dir))).toEqual(
      expect.arrayContaining([DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, "secrets.json"]),
    );

    const again = await serve({ OPENTIME_DATA_DIR: dir, OPENTIME_WRITE_KEY: WRITE_KEY });
    expect(modes(dir)).toEqual(allPrivate(dir));
    await stop(again);
  });

  it("is private when the server is embedded (startServer), whatever the process's umask", async () => {
    const dir = freshDataDir();
    const s = await startTestServer({ OPENTIME_WRITE_KEY: WRITE_KEY }, dir);
    try {
      await writeThroughEveryThread(s.url, "test-api-key-0123456789abcdefghijkl");
      expect(modes(dir)).toEqual(allPrivate(dir));
    } finally {
      await s.cleanup();
    }
  });
});
