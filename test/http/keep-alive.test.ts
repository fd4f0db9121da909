import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_API_KEY, type TestServer } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.cleanup();
});

/** One request on a keep-alive pool of one socket, as a client's pool reuses it. */
function send(agent: Agent, method: string, path: string, body?: string) {
  return new Promise<{ status: number; reused: boolean; keepAlive: string | undefined }>((res, rej) => {
    const url = new URL(path, s.url);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method, agent }, (r) => {
      r.resume();
      r.on("end", () =>
        res({
          status: r.statusCode ?? 0,
          reused: req.reusedSocket,
          keepAlive: r.headers["keep-alive"]?.toString(),
        }),
      );
    });
    req.on("error", rej);
    req.setHeader("authorization", `Bearer ${TEST_API_KEY}`);
    if (body !== undefined) req.setHeader("content-type", "application/json");
    req.end(body);
  });
}

/** Blocks this thread (client and server alike) without burning a core, as a starved process is. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe("keep-alive", () => {
  it("answers a request written on an idle kept-alive socket while the server's event loop was stalled past its idle timeout", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, "GET", "/healthz");
      expect(first.status).toBe(200);
      const advertised = Number(/timeout=(\d+)/.exec(first.keepAlive ?? "")?.[1]);
      expect(advertised).toBeGreaterThan(0);
      // The client still holds the socket (its own idle timer has not run either) and writes
      // the next request on it as soon as the stall ends; the server's idle timer is due by
      // then too, and timers run before reads: Node would close the socket under the request.
      stall(advertised * 1000 + 1500);
      const products = [{ id: "p1", name: "Trail shoe", price: 80, currency: "EUR" }];
      const second = await send(agent, "PUT", "/v1/products", JSON.stringify({ products }));
      expect(second.reused).toBe(true);
      expect(second.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});
