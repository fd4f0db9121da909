import http from "node:http";
import { deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBounded } from "../../src/core/http/content-encoding.js";
import { TEST_API_KEY, type TestServer } from "../helpers/server.js";
import { basic, startIngestServer, WRITE_KEY } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startIngestServer();
});
afterAll(async () => {
  await s.cleanup();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any;
  /** Which connection of the agent carried it (a keep-alive reuse keeps the number). */
  socket: number;
}

/** One request through `agent`, the body written whole, as analytics-python's requests would. */
function send(
  agent: http.Agent,
  path: string,
  body: Buffer,
  headers: Record<string, string | number> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${s.url}${path}`,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          authorization: basic(WRITE_KEY),
          "content-length": body.length,
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: JSON.parse(Buffer.concat(chunks).toString() || "null"),
            socket: socketIds.get(req.socket!) ?? -1,
          }),
        );
      },
    );
    req.on("socket", (sock) => {
      if (!socketIds.has(sock)) socketIds.set(sock, sockets++);
    });
    // The server may close while a rejected body is still being written: the answer came first.
    req.on("error", (err: NodeJS.ErrnoException) =>
      err.code === "EPIPE" || err.code === "ECONNRESET" ? undefined : reject(err),
    );
    req.end(body);
  });
}
const socketIds = new WeakMap<object, number>();
let sockets = 0;

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const batchOf = (userId: string, n: number) =>
  json({
    batch: Array.from({ length: n }, (_, i) => ({
      type: "track",
      userId,
      event: "Product Viewed",
      messageId: `${userId}-${i}`,
      properties: { product_id: `sku-${i}` },
    })),
  });
const eventsOf = async (userId: string) =>
  (((await (await s.api(`/v1/profiles/${userId}`)).json()) as any).counts?.events as number) ?? 0;

describe("compressed bodies (Content-Encoding)", () => {
  it("accepts gzip batches (analytics-python gzip=True) and deflate, on batch and single-event routes", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      let res = await send(agent, "/v1/batch", gzipSync(batchOf("gz-1", 3)), { "content-encoding": "gzip" });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      res = await send(agent, "/v1/batch", deflateSync(batchOf("gz-1", 5)), {
        "content-encoding": "deflate",
      });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      res = await send(agent, "/v1/track", gzipSync(json({ userId: "gz-1", event: "Single" })), {
        "content-encoding": "gzip",
      });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      // 3 + 2 new (the first 3 message ids are repeats) + 1.
      expect(await eventsOf("gz-1")).toBe(6);
    } finally {
      agent.destroy();
    }
  });

  it("bounds the inflated body: over 500 KB (a zip bomb) is a 413, and nothing of it is stored", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // 700 KB of events in ~10 KB of gzip, then 50 MB of zeros in ~50 KB.
      const big = batchOf("gz-big", 5_000);
      expect(big.length).toBeGreaterThan(500 * 1024);
      let res = await send(agent, "/v1/batch", gzipSync(big), { "content-encoding": "gzip" });
      expect(res.status).toBe(413);
      expect(res.json.error).toMatchObject({
        code: "payload_too_large",
        details: { reason: "inflated_too_large" },
      });
      res = await send(agent, "/v1/batch", gzipSync(Buffer.alloc(50 * 1024 * 1024)), {
        "content-encoding": "gzip",
      });
      expect(res.status).toBe(413);
      // A single event's bound is 32 KB inflated.
      res = await send(
        agent,
        "/v1/track",
        gzipSync(json({ userId: "gz-big", event: "E", properties: { s: "x".repeat(40_000) } })),
        {
          "content-encoding": "gzip",
        },
      );
      expect(res.status).toBe(413);
      expect((await s.api("/v1/profiles/gz-big")).status).toBe(404);
    } finally {
      agent.destroy();
    }
  });

  it("answers corrupt gzip with 400 and an unknown encoding with 415", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      let res = await send(agent, "/v1/batch", Buffer.from("not gzip at all"), {
        "content-encoding": "gzip",
      });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: "bad_request", details: { reason: "bad_encoding" } });
      res = await send(agent, "/v1/batch", batchOf("gz-2", 1), { "content-encoding": "br" });
      expect(res.status).toBe(415);
      expect(res.json.error.code).toBe("unsupported_media_type");
    } finally {
      agent.destroy();
    }
  });

  it("stops inflating at the bound: the rest of a bomb is never inflated", async () => {
    // 40 MB of zeros in ~40 KB of gzip. Inflating it whole (counted and dropped, as a
    // reference measured in the same run) costs far more CPU than stopping at 500 KB.
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024));
    const inflate = () => new Blob([bomb]).stream().pipeThrough(new DecompressionStream("gzip"));
    const cpuOf = async (f: () => Promise<unknown>) => {
      const t = process.cpuUsage();
      await f().catch(() => {});
      const d = process.cpuUsage(t);
      return d.user + d.system;
    };
    const whole = await cpuOf(async () => {
      const r = inflate().getReader();
      let n = 0;
      for (let c = await r.read(); !c.done; c = await r.read()) n += c.value.byteLength;
      expect(n).toBe(40 * 1024 * 1024);
    });
    let refusal: unknown;
    const bounded = await cpuOf(() => readBounded(inflate(), 500 * 1024).catch((e) => (refusal = e)));
    expect(refusal).toMatchObject({ code: "payload_too_large" });
    expect(bounded).toBeLessThan(whole / 5);
  });
});

describe("early rejections on a keep-alive connection", () => {
  it("say Connection: close when the body was not read, so the client's next request gets a fresh socket", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ok = async () => {
        const res = await send(agent, "/v1/batch", batchOf("ka-1", 1));
        expect(res.status, JSON.stringify(res.json)).toBe(200);
        return res;
      };
      const first = await ok();
      expect(first.headers.connection).toBe("keep-alive");
      // Answered without reading the body: 413 on an operator route (2 MB), 400 for a
      // 600 KB batch and for a 40 KB single event (Segment's codes).
      for (const [path, body, status, headers] of [
        ["/v1/links", Buffer.alloc(2 * 1024 * 1024, 97), 413, { authorization: `Bearer ${TEST_API_KEY}` }],
        ["/v1/batch", Buffer.alloc(600 * 1024, 97), 400, {}],
        ["/v1/track", Buffer.alloc(40 * 1024, 97), 400, {}],
      ] as const) {
        const res = await send(agent, path, body, headers);
        expect(res.status, path).toBe(status);
        expect(res.headers.connection, path).toBe("close");
        // The next request on the same agent (one socket at most) works.
        const next = await ok();
        expect(next.socket).not.toBe(res.socket);
      }
      // An ordinary answer keeps the connection: two requests, one socket.
      const a = await ok();
      const b = await ok();
      expect(b.socket).toBe(a.socket);
    } finally {
      agent.destroy();
    }
  });
});
