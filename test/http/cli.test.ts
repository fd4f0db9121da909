import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetFor, type ServerProcess, spawnServer, startBudget } from "../helpers/process.js";
import { tempDir, UA } from "../helpers/server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const dataDir = tempDir();
let srv: ServerProcess;

/** The CLI as a user runs it (`npx opentime …`), sharing the server's data dir and keys. */
function cli(args: string[], input = "") {
  return spawnSync(process.execPath, [resolve(ROOT, "bin/opentime.mjs"), ...args], {
    cwd: ROOT,
    input,
    env: {
      PATH: process.env.PATH ?? "",
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_PUBLIC_URL: "http://127.0.0.1:1",
    },
    encoding: "utf8",
    timeout: startBudget(),
  });
}

beforeAll(async () => {
  // Generated keys on first start; the CLI reads the same ones from the data dir.
  srv = await spawnServer({ OPENTIME_DATA_DIR: dataDir, OPENTIME_PUBLIC_URL: "http://127.0.0.1:1" });
}, budgetFor(1));
afterAll(async () => {
  srv.child.kill("SIGTERM");
  await srv.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe("opentime CLI", () => {
  it("wraps HTML from stdin with links the server then redirects", { timeout: budgetFor(1) }, async () => {
    const html = readFileSync(resolve(ROOT, "test/fixtures/emails/klaviyo-abandoned-cart.html"), "utf8");
    const res = cli(["wrap", "--dialect", "klaviyo", "--campaign", "cart-1"], html);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/\d+ links tracked/);
    const ids = [
      ...res.stdout.matchAll(
        /http:\/\/127\.0\.0\.1:1\/c\/([A-Za-z0-9_-]{20})\?u=\{\{ person\.email\|urlencode \}\}/g,
      ),
    ].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThan(0);
    expect(res.stdout).toContain("/o/cart-1.gif?u={{ person.email|urlencode }}");
    const hit = await fetch(`${srv.url}/c/${ids[0]}?u=a%40x.com`, {
      redirect: "manual",
      headers: { "user-agent": UA.chromeDesktop },
    });
    expect(hit.status).toBe(302);
    expect(hit.headers.get("location")).toMatch(/^https?:\/\//);
  });

  it("rejects an unknown dialect", { timeout: budgetFor(1) }, () => {
    const res = cli(["wrap", "--dialect", "nope"], "<a href='https://x.example'>x</a>");
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("unknown dialect");
  });

  it("makes a signed countdown URL the server renders", { timeout: budgetFor(2) }, async () => {
    const res = cli([
      "url",
      "countdown",
      "--deadline",
      "2030-01-01T00:00",
      "--tz",
      "Europe/Paris",
      "--locale",
      "fr",
    ]);
    expect(res.status, res.stderr).toBe(0);
    const path = res.stdout.trim().replace("http://127.0.0.1:1", "");
    const img = await fetch(`${srv.url}${path}`);
    expect(img.headers.get("content-type")).toBe("image/gif");
    expect(img.headers.get("x-opentime-fallback")).toBeNull();
    expect((await img.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const bad = cli(["url", "countdown", "--deadline", "soon"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("deadline");
  });
});
