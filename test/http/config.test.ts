import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/core/config.js";
import { budgetFor, runUntilExit, spawnServer } from "../helpers/process.js";
import { TEST_API_KEY, TEST_SECRET, tempDir } from "../helpers/server.js";

const dirs: string[] = [];
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const good = { OPENTIME_API_KEY: TEST_API_KEY, OPENTIME_SECRET: TEST_SECRET };

describe("configuration", () => {
  it.each([
    ["PORT", "eighty", "PORT"],
    ["PORT", "70000", "PORT"],
    ["OPENTIME_PUBLIC_URL", "not a url", "OPENTIME_PUBLIC_URL"],
    ["OPENTIME_API_KEY", "short", "OPENTIME_API_KEY"],
    ["REDIS_URL", "http//broken", "REDIS_URL"],
    ["OPENTIME_BATCH_MS", "0", "OPENTIME_BATCH_MS"],
    ["LOG_LEVEL", "loud", "LOG_LEVEL"],
  ])(
    "a bad %s=%s stops the process with a message naming it",
    { timeout: budgetFor(1) },
    async (name, value, named) => {
      const res = await runUntilExit({ ...good, OPENTIME_DATA_DIR: dir(), [name]: value });
      expect(res.code).toBe(78);
      expect(res.stderr).toContain(named);
    },
  );

  it("parses good values with defaults", () => {
    const c = parseConfig({ ...good, PORT: "9000", OPENTIME_PUBLIC_URL: "https://ot.example.com/" });
    expect(c.PORT).toBe(9000);
    expect(c.OPENTIME_PUBLIC_URL).toBe("https://ot.example.com");
    expect(c.OPENTIME_DATA_DIR).toBe("./data");
  });

  it("generates strong keys on first start, keeps them private in the data dir, never logs them", {
    timeout: budgetFor(3),
  }, async () => {
    const dataDir = dir();
    const srv = await spawnServer({ OPENTIME_DATA_DIR: dataDir });
    const file = join(dataDir, "secrets.json");
    const kept = JSON.parse(readFileSync(file, "utf8"));
    expect(kept.OPENTIME_API_KEY.length).toBeGreaterThanOrEqual(32);
    expect(kept.OPENTIME_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(srv.stdout()).toContain(file);
    expect(srv.stdout()).not.toContain(kept.OPENTIME_API_KEY);

    const ok = await fetch(`${srv.url}/v1/campaigns/x/stats`, {
      headers: { authorization: `Bearer ${kept.OPENTIME_API_KEY}` },
    });
    expect(ok.status).toBe(200);
    srv.child.kill("SIGTERM");
    await srv.exited;

    // Same keys after a restart.
    const again = await spawnServer({ OPENTIME_DATA_DIR: dataDir });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(kept);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });
});
