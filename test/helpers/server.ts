import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppDeps } from "../../src/core/app.js";
import { parseConfig } from "../../src/core/config.js";
import { type RunningServer, startServer } from "../../src/node/server.js";

export const TEST_API_KEY = "test-api-key-0123456789abcdefghijkl";
export const TEST_SECRET = "test-secret-0123456789abcdefghijklmnop";

export interface TestServer extends RunningServer {
  dataDir: string;
  /** fetch against the server with the operator key. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  cleanup(): Promise<void>;
}

export function tempDir(prefix = "opentime-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A real server on loopback with a real SQLite file in a fresh temp dir. */
export async function startTestServer(
  env: Record<string, string> = {},
  dataDir = tempDir(),
  extraDeps: Partial<AppDeps> = {},
): Promise<TestServer> {
  const config = parseConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    OPENTIME_DATA_DIR: dataDir,
    OPENTIME_API_KEY: TEST_API_KEY,
    OPENTIME_SECRET: TEST_SECRET,
    LOG_LEVEL: "silent",
    ...env,
  });
  const server = await startServer(config, undefined, extraDeps);
  return {
    ...server,
    dataDir,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TEST_API_KEY}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return fetch(`${server.url}${path}`, { ...init, headers, body });
    },
    async cleanup() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const UA = {
  chromeDesktop:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  iphoneSafari:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  gmailProxy: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
  yahooProxy: "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
  appleMpp: "Mozilla/5.0",
  curl: "curl/8.5.0",
  headless:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
};

/**
 * Adds `us`, the proof an image URL was written for its `u`, as an ESP template would (the
 * value comes from the server's POST /v1/recipients/sign). Paths without `u` are unchanged.
 */
export async function withRecipientProof(s: TestServer, path: string): Promise<string> {
  const u = new URL(path, s.url).searchParams.get("u");
  if (!u) return path;
  const res = await s.api("/v1/recipients/sign", { method: "POST", json: { recipients: [u] } });
  const { signatures } = (await res.json()) as { signatures: { us: string }[] };
  return `${path}&us=${signatures[0]!.us}`;
}
