import { connect, type Socket } from "node:net";

/**
 * HTTP/1.1 over a raw socket, so a fuzz input can be any bytes (a path with spaces or
 * non-ASCII, a bad method, duplicate or malformed headers) where an HTTP client would
 * refuse to send them, and so what was sent is exactly what a reproduction sends. Each
 * input gets its own connection; after the answer a probe (GET /healthz) goes down the same
 * connection, which tells whether the server left it usable.
 */
export interface WireRequest {
  method: string;
  /** Path and query, as sent (not re-encoded). */
  target: string;
  headers: [string, string][];
  body?: Buffer;
}

export interface WireResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  ms: number;
}

export type WireOutcome =
  | { ok: true; res: WireResponse; probe: "ok" | "closed" | "dropped"; probeDetail?: string }
  | { ok: false; error: string; ms: number };

/** The request sets Content-Length or Transfer-Encoding itself (they may not match its body). */
export const ownFraming = (req: WireRequest) =>
  req.headers.some(([n]) => /^(content-length|transfer-encoding)$/i.test(n.trim()));

/** The request's bytes: start line, headers (Host and Content-Length added unless given), body. */
export function encodeRequest(req: WireRequest, host: string): Buffer {
  const names = new Set(req.headers.map(([n]) => n.toLowerCase()));
  const lines = [`${req.method} ${req.target} HTTP/1.1`];
  if (!names.has("host")) lines.push(`Host: ${host}`);
  for (const [n, v] of req.headers) lines.push(`${n}: ${v}`);
  if (req.body && !names.has("content-length") && !names.has("transfer-encoding"))
    lines.push(`Content-Length: ${req.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), req.body ?? Buffer.alloc(0)]);
}

/** Reads one response off a socket's incoming bytes (Content-Length, chunked, or until close). */
class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake?.();
    });
    const end = () => {
      this.closed = true;
      this.wake?.();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
  }

  get isClosed(): boolean {
    return this.closed && this.buf.length === 0;
  }

  private async more(): Promise<boolean> {
    if (this.closed) return false;
    await new Promise<void>((r) => {
      this.wake = r;
    });
    this.wake = null;
    return true;
  }

  private async until(n: number): Promise<boolean> {
    while (this.buf.length < n) if (!(await this.more())) return this.buf.length >= n;
    return true;
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  private async line(): Promise<string | null> {
    for (;;) {
      const i = this.buf.indexOf("\r\n");
      if (i >= 0) {
        const l = this.take(i).toString("latin1");
        this.take(2);
        return l;
      }
      if (!(await this.more())) return null;
    }
  }

  /** One response, or null if the connection ended before a whole one came. */
  async read(method: string): Promise<Omit<WireResponse, "ms"> | null> {
    for (;;) {
      const start = await this.line();
      if (start === null) return null;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(start);
      if (!m) return null;
      const status = Number(m[1]);
      const headers = new Map<string, string>();
      for (;;) {
        const h = await this.line();
        if (h === null) return null;
        if (h === "") break;
        const c = h.indexOf(":");
        const name = h.slice(0, c).trim().toLowerCase();
        const value = h.slice(c + 1).trim();
        headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
      }
      if (status >= 100 && status < 200) continue;
      if (method === "HEAD" || status === 204 || status === 304)
        return { status, headers, body: Buffer.alloc(0) };
      const length = headers.get("content-length");
      if (length !== undefined) {
        if (!(await this.until(Number(length)))) return null;
        return { status, headers, body: Buffer.from(this.take(Number(length))) };
      }
      if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
        const parts: Buffer[] = [];
        for (;;) {
          const size = await this.line();
          if (size === null) return null;
          const n = Number.parseInt(size, 16);
          if (!(await this.until(n + 2))) return null;
          parts.push(Buffer.from(this.take(n)));
          this.take(2);
          if (n === 0) return { status, headers, body: Buffer.concat(parts) };
        }
      }
      while (await this.more()) {}
      return { status, headers, body: this.take(this.buf.length) };
    }
  }
}

const PROBE: WireRequest = { method: "GET", target: "/healthz", headers: [] };

/**
 * Sends one request on a new connection, then the probe on the same one, unless the request
 * sets its own framing (Content-Length, Transfer-Encoding), which may claim the probe's bytes.
 */
export function send(port: number, req: WireRequest, timeoutMs = 30_000): Promise<WireOutcome> {
  const framed = ownFraming(req);
  // The server may rightly wait for a body the request announced and never sent.
  if (framed) timeoutMs = Math.min(timeoutMs, 3000);
  const host = `127.0.0.1:${port}`;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    const reader = new ResponseReader(socket);
    let done = false;
    const finish = (o: WireOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `no answer within ${timeoutMs} ms`, ms: timeoutMs }),
      timeoutMs,
    );
    socket.on("error", () => {});
    socket.once("connect", async () => {
      socket.write(encodeRequest(req, host));
      const res = await reader.read(req.method);
      const ms = performance.now() - t0;
      if (!res) {
        finish({ ok: false, error: "connection closed without a complete answer", ms });
        return;
      }
      const response = { ...res, ms };
      if (/close/i.test(res.headers.get("connection") ?? "") || reader.isClosed || framed) {
        finish({ ok: true, res: response, probe: "closed" });
        return;
      }
      socket.write(encodeRequest(PROBE, host));
      const probe = await reader.read("GET");
      finish(
        probe?.status === 200
          ? { ok: true, res: response, probe: "ok" }
          : {
              ok: true,
              res: response,
              probe: "dropped",
              probeDetail: probe
                ? `probe answered ${probe.status}`
                : "connection dropped after a keep-alive answer",
            },
      );
    });
  });
}

/** A command that sends exactly these bytes again, to a server on `port`. */
export function reproduction(req: WireRequest, port: number): string {
  return `echo ${encodeRequest(req, `127.0.0.1:${port}`).toString("base64")} | base64 -d | nc -q 5 127.0.0.1 ${port}`;
}

/** The request in a line a person can read (body cut short, bytes outside ASCII escaped). */
export function describe(req: WireRequest): string {
  const esc = (s: string) => JSON.stringify(s).slice(1, -1);
  const target =
    req.target.length > 300 ? `${req.target.slice(0, 300)}…(${req.target.length} chars)` : req.target;
  const headers = req.headers.map(
    ([n, v]) => `${esc(n)}: ${esc(v.length > 120 ? `${v.slice(0, 120)}…` : v)}`,
  );
  const body = req.body
    ? ` body(${req.body.length} B): ${esc(req.body.subarray(0, 300).toString("latin1"))}${req.body.length > 300 ? "…" : ""}`
    : "";
  return `${esc(req.method)} ${esc(target)} [${headers.join(" | ")}]${body}`;
}
