import { randomUUID } from "node:crypto";
import { startTestServer, type TestServer } from "../helpers/server.js";

export const WRITE_KEY = "wk_test_primary_0123456789";
export const OTHER_WRITE_KEY = "wk_test_second_9876543210";

/** A server taking both write keys; on `dataDir` when given (a restart), else a fresh one. */
export function startIngestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  return startTestServer({ OPENTIME_WRITE_KEY: `${WRITE_KEY}, ${OTHER_WRITE_KEY}`, ...env }, dataDir);
}

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;

/** POST to an ingestion route with the write key, as a raw client would. */
export function post(
  s: TestServer,
  path: string,
  body: unknown,
  key: string | null = WRITE_KEY,
): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = basic(key);
  return fetch(`${s.url}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * What @segment/analytics-node (v2) puts on the wire, reproduced field for field because
 * the package is not installed here: events queued in memory, flushed as
 * POST {host}/v1/batch with Basic base64("writeKey:"), Content-Type application/json,
 * User-Agent analytics-node-next/latest, body { batch, sentAt }; each event carries
 * type, messageId "node-next-<ms>-<uuid>", timestamp (ISO), context.library,
 * integrations {} and _metadata. A 400 drops the batch; other failures are retried.
 */
export class SegmentStyleClient {
  private queue: Record<string, unknown>[] = [];
  constructor(
    private readonly writeKey: string,
    private readonly host: string,
    private readonly clockSkewMs = 0,
  ) {}

  private enqueue(type: string, params: Record<string, unknown>) {
    this.queue.push({
      ...params,
      type,
      messageId: `node-next-${Date.now()}-${randomUUID()}`,
      timestamp: new Date(Date.now() + this.clockSkewMs).toISOString(),
      context: {
        library: { name: "@segment/analytics-node", version: "2.1.2" },
        ...(params.context as object),
      },
      integrations: {},
      _metadata: { nodeVersion: process.versions.node, jsRuntime: "node" },
    });
  }
  track(p: { userId?: string; anonymousId?: string; event: string; properties?: object }) {
    this.enqueue("track", p);
  }
  identify(p: { userId?: string; anonymousId?: string; traits?: object }) {
    this.enqueue("identify", p);
  }
  page(p: { userId?: string; anonymousId?: string; name?: string; properties?: object }) {
    this.enqueue("page", p);
  }
  screen(p: { userId?: string; anonymousId?: string; name?: string; properties?: object }) {
    this.enqueue("screen", p);
  }
  group(p: { userId?: string; anonymousId?: string; groupId: string; traits?: object }) {
    this.enqueue("group", p);
  }
  alias(p: { userId: string; previousId: string }) {
    this.enqueue("alias", p);
  }

  async closeAndFlush(): Promise<Response> {
    const batch = this.queue;
    this.queue = [];
    return fetch(`${this.host}/v1/batch`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Basic ${btoa(`${this.writeKey}:`)}`,
        "User-Agent": "analytics-node-next/latest",
      },
      body: JSON.stringify({ batch, sentAt: new Date(Date.now() + this.clockSkewMs) }),
    });
  }
}

/**
 * POST on a fresh connection that is closed afterwards. For oversize bodies: the server
 * answers before reading them and closes the connection (Connection: close); the client
 * may still be writing the body then, which this ignores (EPIPE, ECONNRESET).
 */
export async function postOnce(
  s: TestServer,
  path: string,
  body: unknown,
  key = WRITE_KEY,
): Promise<{ status: number; json: any }> {
  const { request } = await import("node:http");
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${s.url}${path}`,
      {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          authorization: basic(key),
          "content-length": Buffer.byteLength(data),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on("error", (err) =>
      (err as NodeJS.ErrnoException).code === "EPIPE" || (err as NodeJS.ErrnoException).code === "ECONNRESET"
        ? undefined
        : reject(err),
    );
    req.end(data);
  });
}
