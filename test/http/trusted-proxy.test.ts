import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/core/config.js";
import { DB_FILE } from "../../src/node/server.js";
import { runUntilExit } from "../helpers/process.js";
import {
  startTestServer,
  TEST_API_KEY,
  TEST_SECRET,
  type TestServer,
  tempDir,
  UA,
} from "../helpers/server.js";

/**
 * OPENTIME_TRUST_PROXY: a proxy appends the address it saw to X-Forwarded-For, so only the
 * entries it (and proxies behind it) appended can be believed; whatever is left of them the
 * client wrote itself. Every server here is reached from 127.0.0.1, standing in for the proxy.
 */
const keys = { OPENTIME_API_KEY: TEST_API_KEY, OPENTIME_SECRET: TEST_SECRET };
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.cleanup();
});

async function serverTrusting(value: string) {
  const s = await startTestServer({ OPENTIME_TRUST_PROXY: value });
  servers.push(s);
  const res = await s.api("/v1/links", {
    method: "POST",
    json: { url: "https://shop.example/", campaign: "proxied" },
  });
  const { id } = (await res.json()) as { id: string };
  return { s, id };
}

/** What the log holds for the campaign's clicks and opens: address and class, in order. */
async function logged(s: TestServer) {
  await s.api("/v1/campaigns/proxied/stats"); // flushes what was answered
  const db = new Database(join(s.dataDir, DB_FILE), { readonly: true });
  const rows = db.prepare("SELECT kind, ip, class FROM events WHERE campaign = 'proxied' ORDER BY seq").all();
  db.close();
  return rows;
}

const hit = (s: TestServer, path: string, forwardedFor: string, ua = UA.chromeDesktop) =>
  fetch(`${s.url}${path}`, {
    redirect: "manual",
    headers: { "user-agent": ua, "x-forwarded-for": forwardedFor },
  });

// Apple Mail's stripped WebKit UA: an open from Apple's 17.0.0.0/8 with it is Mail Privacy Protection.
const STRIPPED_WEBKIT =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)";

describe("OPENTIME_TRUST_PROXY", () => {
  it("true trusts one proxy: the address it appended, not one the client wrote before it", async () => {
    const { s, id } = await serverTrusting("true");
    // A scanner in Microsoft's Safe Links network claims a home address; the proxy appends the real one.
    await hit(s, `/c/${id}?u=a%40x.com`, "198.51.100.7, 40.94.1.1");
    // A person at home claims an Apple address to pass as Mail Privacy Protection.
    await hit(s, "/o/proxied.gif?u=b%40x.com", "17.58.1.1, 203.0.113.50", STRIPPED_WEBKIT);
    // One entry (the proxy's own), as a proxy writes it for a client that sent none.
    await hit(s, "/o/proxied.gif?u=c%40x.com", "203.0.113.51");
    expect(await logged(s)).toEqual([
      { kind: "click", ip: "40.94.1.1", class: "scanner" },
      { kind: "open", ip: "203.0.113.50", class: "human" },
      { kind: "open", ip: "203.0.113.51", class: "human" },
    ]);
  });

  it("a number trusts that many proxies in a chain", async () => {
    const { s } = await serverTrusting("2");
    // client wrote "17.58.1.1"; the edge proxy appended the client, the inner one the edge.
    await hit(s, "/o/proxied.gif?u=a%40x.com", "17.58.1.1, 203.0.113.60, 10.0.0.2", STRIPPED_WEBKIT);
    // Fewer entries than proxies: the leftmost there is.
    await hit(s, "/o/proxied.gif?u=b%40x.com", "203.0.113.61");
    expect(await logged(s)).toEqual([
      { kind: "open", ip: "203.0.113.60", class: "human" },
      { kind: "open", ip: "203.0.113.61", class: "human" },
    ]);
  });

  it("a list of proxy addresses and ranges skips those from the right, and ignores the header from anyone else", async () => {
    const { s } = await serverTrusting("127.0.0.1, 10.0.0.0/8, fd00::/8");
    await hit(s, "/o/proxied.gif?u=a%40x.com", "17.58.1.1, 203.0.113.70, 10.1.2.3, fd00::5", STRIPPED_WEBKIT);
    // Every entry a trusted proxy: the leftmost.
    await hit(s, "/o/proxied.gif?u=b%40x.com", "10.9.9.9, 10.1.1.1");
    const { s: direct } = await serverTrusting("10.0.0.0/8");
    // The connection is not from a listed proxy (127.0.0.1 is not in 10/8): its header is the client's own.
    await hit(direct, "/o/proxied.gif?u=c%40x.com", "17.58.1.1", STRIPPED_WEBKIT);
    expect(await logged(s)).toEqual([
      { kind: "open", ip: "203.0.113.70", class: "human" },
      { kind: "open", ip: "10.9.9.9", class: "human" },
    ]);
    expect(await logged(direct)).toEqual([{ kind: "open", ip: "127.0.0.1", class: "human" }]);
  });

  it("names loopback, private and link-local ranges for a list", async () => {
    const { s } = await serverTrusting("loopback, private");
    await hit(s, "/o/proxied.gif?u=a%40x.com", "17.58.1.1, 203.0.113.80, 192.168.1.1", STRIPPED_WEBKIT);
    expect(await logged(s)).toEqual([{ kind: "open", ip: "203.0.113.80", class: "human" }]);
    expect(parseConfig({ ...keys, OPENTIME_TRUST_PROXY: "linklocal" }).OPENTIME_TRUST_PROXY).not.toBeNull();
  });

  it("false and 0 ignore the header", async () => {
    for (const value of ["false", "0"]) {
      const { s } = await serverTrusting(value);
      await hit(s, "/o/proxied.gif?u=a%40x.com", "17.58.1.1", STRIPPED_WEBKIT);
      expect(await logged(s)).toEqual([{ kind: "open", ip: "127.0.0.1", class: "human" }]);
    }
  });

  it("refuses anything else at start, naming the variable", async () => {
    for (const value of ["yes", "-1", "1.5", "100", "10.0.0.0/33", "10.0.0.0/8,,", "proxy.example"]) {
      expect(() => parseConfig({ ...keys, OPENTIME_TRUST_PROXY: value }), value).toThrow(
        /OPENTIME_TRUST_PROXY: /,
      );
    }
    const dataDir = tempDir();
    const res = await runUntilExit({ ...keys, OPENTIME_DATA_DIR: dataDir, OPENTIME_TRUST_PROXY: "yes" });
    rmSync(dataDir, { recursive: true, force: true });
    expect(res.code).toBe(78);
    expect(res.stderr).toContain("OPENTIME_TRUST_PROXY");
  });
});
