import { createServer, request } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/ports/index.js";
import { withFastPath } from "../../src/node/fast-listener.js";
import { startTestServer, type TestServer, tempDir, UA } from "../helpers/server.js";

// Over real HTTP, a click or open answered by Node's fast path (src/node/fast-listener.ts)
// and one answered by the Hono app look the same to the client. A restarted server has
// no link in memory: its first click goes through the router, the next ones do not.

function get(
  url: string,
  method = "GET",
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { "user-agent": UA.chromeDesktop } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const dataDir = tempDir();
const servers: TestServer[] = [];
afterAll(async () => {
  await servers.at(-1)?.cleanup();
});

describe("opens and clicks on Node's fast path", () => {
  it("answer a click the same whether its link is in memory or not, each with a length", async () => {
    const first = await startTestServer({}, dataDir);
    servers.push(first);
    const created = await first.api("/v1/links", {
      method: "POST",
      json: { url: "https://shop.example/sale?x=1", campaign: "fast" },
    });
    const { id } = (await created.json()) as { id: string };
    await first.close();
    const s = await startTestServer({}, dataDir);
    servers.push(s);

    const routed = await get(`${s.url}/c/${id}?u=ann%40example.com`); // resolves from SQLite
    const fast = await get(`${s.url}/c/${id}?u=ann%40example.com`); // now in memory
    for (const r of [routed, fast]) {
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe("https://shop.example/sale?x=1");
      expect(r.headers["cache-control"]).toBe("no-store");
      expect(r.headers["referrer-policy"]).toBe("no-referrer");
      expect(r.headers["content-length"]).toBe("0");
      expect(r.headers["transfer-encoding"]).toBeUndefined();
      expect(r.body.length).toBe(0);
    }
    const head = await get(`${s.url}/c/${id}?u=ann%40example.com`, "HEAD");
    expect(head.status).toBe(302);
    expect(head.headers.location).toBe("https://shop.example/sale?x=1");

    const pixel = await get(`${s.url}/o/fast.gif?u=ann%40example.com`);
    expect(pixel.status).toBe(200);
    expect(pixel.headers["content-type"]).toBe("image/gif");
    expect(pixel.headers["content-length"]).toBe("43");
    expect(pixel.headers["transfer-encoding"]).toBeUndefined();
    expect(pixel.body.subarray(0, 6).toString()).toBe("GIF89a");

    // Every answer was recorded, classified like any other (the HEAD as a scanner).
    const stats = (await (await s.api("/v1/campaigns/fast/stats")).json()) as {
      clicks: { total: number; unique: number; byClass: Record<string, number> };
      opens: { total: number };
    };
    expect(stats.clicks).toMatchObject({ total: 3, unique: 1, byClass: { human: 2, scanner: 1 } });
    expect(stats.opens.total).toBe(1);

    // Both paths count into the same request metrics.
    const metrics = await (await s.api("/metrics")).text();
    expect(metrics).toContain('opentime_http_requests_total{method="GET",route="/c/:linkId",status="302"} 2');
    expect(metrics).toContain('opentime_http_requests_total{method="GET",route="/o/:file",status="200"} 1');
  });
});

describe("the fast path on the wire", () => {
  it("sends whole responses, in order, to requests pipelined on one keep-alive connection", async () => {
    const s = await startTestServer();
    const port = Number(new URL(s.url).port);
    const req = (path: string) =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nUser-Agent: ${UA.chromeDesktop}\r\n\r\n`;
    const paths = ["/o/wire.gif?u=a", "/o/wire.gif?u=b", "/o/wire.gif?u=c"];
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const sock = connect(port, "127.0.0.1", () => sock.write(paths.map(req).join("")));
      const chunks: Buffer[] = [];
      sock.on("data", (c: Buffer) => {
        chunks.push(c);
        // Three responses: each a header block and a 43-byte GIF.
        const all = Buffer.concat(chunks);
        if (
          all.toString("latin1").split("GIF89a").length === 4 &&
          all.subarray(-2).equals(Buffer.from([0x00, 0x3b]))
        )
          sock.end(() => resolve(all));
      });
      sock.on("error", reject);
      setTimeout(() => reject(new Error(`incomplete: ${Buffer.concat(chunks).toString("latin1")}`)), 5000);
    });
    const text = raw.toString("latin1");
    const parts = text.split("HTTP/1.1 200 OK\r\n").slice(1);
    expect(parts).toHaveLength(3);
    for (const p of parts) {
      const [head, body] = p.split("\r\n\r\n");
      expect(head).toMatch(/content-length: 43/i);
      expect(Buffer.from(body!, "latin1")).toHaveLength(43);
      expect(body!.startsWith("GIF89a")).toBe(true);
    }
    await s.cleanup();
  });
});

describe("withFastPath", () => {
  it("answers a JSON 500 if the fast path throws, logs it, and keeps serving", async () => {
    const logged: unknown[] = [];
    const logger = { ...silentLogger, error: (o: unknown) => logged.push(o) };
    let calls = 0;
    const listener = withFastPath(
      (req) => {
        calls++;
        if (req.url.startsWith("/c/boom")) throw new Error("boom");
        return null;
      },
      (_req, res) => res.end("from the app"),
      logger,
    );
    const server = createServer(listener);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const failed = await get(`${base}/c/boom?u=secret%40x.com`);
      expect(failed.status).toBe(500);
      expect(JSON.parse(failed.body.toString())).toEqual({
        error: { code: "internal", message: "internal error" },
      });
      expect(JSON.stringify(logged)).not.toContain("secret"); // the query (recipient) is not logged
      expect((await get(`${base}/c/other`)).body.toString()).toBe("from the app");
      expect((await get(`${base}/v1/links`)).body.toString()).toBe("from the app");
      expect(calls).toBe(2); // "/v1/…" never reaches the fast path
    } finally {
      server.close();
    }
  });

  it("answers 500 and logs it when Node refuses an answer's header, on the fast path and the app's", async () => {
    const logged: unknown[] = [];
    const logger = { ...silentLogger, error: (o: unknown) => logged.push(o) };
    // A header value Node's writeHead throws on (a character above U+00FF), on either path.
    const bad = { Location: "https://shop.example/\u6291", "Cache-Control": "no-store" };
    // On the app's path: a Response whose headers @hono/node-server hands to writeHead as
    // given (c.body() would have refused them while building its Headers).
    const app = new Hono();
    app.get("/v1/bad", () => new Response("", { status: 302, headers: bad }));
    const listener = withFastPath(
      (req) => (req.url.startsWith("/c/bad") ? { status: 302, headers: bad, body: null } : null),
      getRequestListener(app.fetch),
      logger,
    );
    const server = createServer(listener);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of ["/c/bad?u=secret%40x.com", "/v1/bad?u=secret%40x.com"]) {
        const res = await get(`${base}${path}`);
        expect(res.status, path).toBe(500);
        expect(res.headers.location).toBeUndefined();
      }
      expect(logged).toHaveLength(2);
      expect(JSON.stringify(logged)).not.toContain("secret");
      expect((await get(`${base}/c/other`)).status).toBe(404); // still serving: the app's 404
    } finally {
      server.close();
    }
  });
});
