import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_FILE, SECRETS_FILE } from "../../src/node/data-dir.js";
import { budgetFor, type ServerProcess, spawnServer, startBudget } from "../helpers/process.js";
import { tempDir, UA } from "../helpers/server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const dataDir = tempDir();
let srv: ServerProcess;

/**
 * The CLI as a user runs it (`npx opentime …`), sharing the server's data dir and keys.
 * Asynchronous: a synchronous spawn would stop this process's event loop for the CLI's whole
 * run, so fetch's pool would not see the server close an idle keep-alive socket meanwhile and
 * would send the next request on it.
 */
function cli(args: string[], input = ""): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [resolve(ROOT, "bin/opentime.mjs"), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_PUBLIC_URL: "http://127.0.0.1:1",
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill("SIGKILL"), startBudget());
  return new Promise((res) =>
    child.once("close", (status) => {
      clearTimeout(timer);
      res({ status, stdout, stderr });
    }),
  );
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
    const res = await cli(["wrap", "--dialect", "klaviyo", "--campaign", "cart-1"], html);
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

  it("wraps an email into the same links and destinations as the API does", {
    timeout: budgetFor(2),
  }, async () => {
    const html = [
      '<a href="http://a.example">a</a>',
      '<a href="HTTPS://Shop.Example/ürün?x=1">b</a>',
      '<a href="https://shop.example/p/1#top">c</a>',
    ].join("\n");
    const byCli = await cli(["wrap", "--campaign", "same-1", "--no-pixel"], html);
    expect(byCli.status, byCli.stderr).toBe(0);
    const { OPENTIME_API_KEY } = JSON.parse(readFileSync(join(dataDir, SECRETS_FILE), "utf8"));
    const res = await fetch(`${srv.url}/v1/emails/wrap`, {
      method: "POST",
      headers: { authorization: `Bearer ${OPENTIME_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ html, campaign: "same-1", dialect: "none", openPixel: false }),
    });
    const byApi = (await res.json()) as { html: string; links: { url: string }[] };
    expect(res.status, JSON.stringify(byApi)).toBe(200);
    // The same link ids (one per URL and campaign), so the same HTML.
    expect(byCli.stdout).toBe(byApi.html);
    expect(byApi.links.map((l) => l.url)).toEqual([
      "http://a.example/",
      "https://shop.example/%C3%BCr%C3%BCn?x=1",
      "https://shop.example/p/1#top",
    ]);
    for (const id of [...byCli.stdout.matchAll(/\/c\/([A-Za-z0-9_-]{20})/g)].map((m) => m[1])) {
      const hit = await fetch(`${srv.url}/c/${id}`, { redirect: "manual" });
      expect(byApi.links.map((l) => l.url)).toContain(hit.headers.get("location"));
    }
  });

  it("refuses what the API refuses, naming the flag, and registers nothing", {
    timeout: budgetFor(3),
  }, async () => {
    const html = '<a href="https://refused.example/">x</a>';
    const cases: [string[], RegExp][] = [
      [["--campaign", "Black Friday/2026?"], /--campaign: use 1-128 of/],
      [["--field", "phone"], /--field: Invalid enum value/],
      [["--utm-source", ""], /--utm-source: String must contain at least 1 character/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(["wrap", ...args], html)));
    runs.forEach((res, i) => {
      expect(res.status, res.stderr).toBe(2);
      expect(res.stderr).toMatch(cases[i]![1]);
      expect(res.stdout).toBe("");
    });
    const db = new Database(join(dataDir, DB_FILE), { readonly: true });
    const n = db
      .prepare("SELECT count(*) FROM links WHERE url LIKE 'https://refused.example/%'")
      .pluck()
      .get();
    db.close();
    expect(n).toBe(0);
  });

  it("adds a person who then signs in to the web app; the server printed the setup link", {
    timeout: budgetFor(3),
  }, async () => {
    expect(srv.stderr()).toMatch(/http:\/\/127\.0\.0\.1:1\/app\/#\/setup\/[\w-]{40,}/);
    const short = await cli(["user", "add", "ann@example.com", "--password-stdin"], "short");
    expect(short.status).toBe(1);
    expect(short.stderr).toContain("at least 10 characters");
    const added = await cli(
      ["user", "add", "Ann@Example.com", "--role", "admin", "--password-stdin"],
      "a long password\n",
    );
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toBe("added ann@example.com (admin)\n");
    const login = await fetch(`${srv.url}/app/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ann@example.com", password: "a long password" }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { role: string } }).user.role).toBe("admin");
    const list = await cli(["user", "list"]);
    expect(list.stdout).toBe("ann@example.com\tadmin\n");
  });

  it("rejects an unknown dialect", { timeout: budgetFor(1) }, async () => {
    const res = await cli(["wrap", "--dialect", "nope"], "<a href='https://x.example'>x</a>");
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("--dialect");
  });

  it("makes a signed countdown URL the server renders", { timeout: budgetFor(2) }, async () => {
    const res = await cli([
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
    const bad = await cli(["url", "countdown", "--deadline", "soon"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("deadline");
  });
});
