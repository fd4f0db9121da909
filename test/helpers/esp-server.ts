import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface EspRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface EspReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer only after this long (a provider that times out). */
  delayMs?: number;
}

/**
 * A local HTTP server standing in for an ESP's API: records each request as it arrived
 * (raw body) and answers from a queue of replies, then with the default reply.
 */
export interface EspServer {
  url: string;
  requests: EspRequest[];
  reply(...replies: EspReply[]): void;
  close(): Promise<void>;
}

export async function startEspServer(defaultReply: EspReply): Promise<EspServer> {
  const requests: EspRequest[] = [];
  const queue: EspReply[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const r = queue.shift() ?? defaultReply;
      const answer = () => {
        if (res.destroyed) return;
        const text = r.body === undefined ? "" : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
        res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
        res.end(text);
      };
      if (r.delayMs) setTimeout(answer, r.delayMs).unref();
      else answer();
    });
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    reply(...replies) {
      queue.push(...replies);
    },
    close() {
      server.closeAllConnections();
      return new Promise((res) => server.close(() => res()));
    },
  };
}
