import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "../core/ports/index.js";
import type { PlainResponse } from "../core/tracking/answers.js";
import type { FastPath } from "../core/tracking/fast-path.js";

// Byte bodies (the pixel) as latin1 strings, converted once: Node then sends the status line,
// headers and body as one string, where a Buffer body would be a second chunk.
const asLatin1 = new WeakMap<Uint8Array, string>();
function latin1Of(bytes: Uint8Array): string {
  let s = asLatin1.get(bytes);
  if (s === undefined) {
    s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
    asLatin1.set(bytes, s);
  }
  return s;
}

// Answers' headers with Content-Length added, kept per headers object (the answers reuse
// theirs: the pixel's is a constant, a link's is kept with the link). Passed whole to
// writeHead: a setHeader() first would make Node copy and check every header twice.
const framed = new WeakMap<object, { length: number; headers: Record<string, string | number> }>();
function withLength(
  headers: Readonly<Record<string, string>>,
  length: number,
): Record<string, string | number> {
  let f = framed.get(headers);
  if (f?.length !== length) {
    f = { length, headers: { ...headers, "Content-Length": length } };
    framed.set(headers, f);
  }
  return f.headers;
}

/**
 * Node's request listener: the core's fast path for opens and clicks first
 * (core/tracking/fast-path.ts says which requests it takes and why), the Hono app for
 * everything else. A request the fast path takes is written straight to Node's response:
 * no Web Request, Headers or Response objects are built for it.
 *
 * No answer may end the process: Node throws from writeHead on a header value it refuses
 * (a character above U+00FF, a control character), and thrown there, outside any handler,
 * that was an uncaught exception. A write that fails, on either path, is logged and
 * answered 500 (or the socket closed, if the head was already sent).
 */
export function withFastPath(fast: FastPath, app: RequestListener, logger: Logger): RequestListener {
  const failed = (err: unknown, url: string, res: ServerResponse) => {
    logger.error({ err, path: url.split("?")[0] }, "unhandled error");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    try {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal", message: "internal error" } }));
    } catch {
      res.destroy();
    }
  };
  const toApp = (req: IncomingMessage, res: ServerResponse, url: string) => {
    // @hono/node-server's listener is async: a throw while it writes is a rejected promise.
    const done: unknown = app(req, res);
    if (done instanceof Promise) done.catch((err: unknown) => failed(err, url, res));
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    // Cheap pre-check (the fast path repeats it): everything else goes straight to the app.
    if (url.charCodeAt(0) !== 47 || url.charCodeAt(2) !== 47) return toApp(req, res, url);
    let answer: ReturnType<FastPath>;
    try {
      answer = fast({
        method: req.method ?? "",
        url,
        header: (name) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v.join(", ") : v;
        },
        remoteIp: () => req.socket.remoteAddress ?? null,
      });
    } catch (err) {
      // As the app's onError would: logged, a JSON 500, never a crash.
      failed(err, url, res);
      return;
    }
    if (!answer) return toApp(req, res, url);
    if (answer instanceof Promise) {
      // An adaptive link: its decision may read the decision log.
      answer.then(
        (a) => {
          try {
            send(req, res, a);
          } catch (err) {
            failed(err, url, res);
          }
        },
        (err: unknown) => failed(err, url, res),
      );
      return;
    }
    try {
      send(req, res, answer);
    } catch (err) {
      failed(err, url, res);
    }
  };
}

function send(req: IncomingMessage, res: ServerResponse, answer: PlainResponse): void {
  const { body } = answer;
  // A length, not chunked framing (a 302 is one short write; HEAD sends no body).
  if (req.method === "HEAD") res.writeHead(answer.status, answer.headers);
  else
    res.writeHead(
      answer.status,
      withLength(
        answer.headers,
        body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength,
      ),
    );
  // One write() syscall of status line, headers and body. write() corks the socket until
  // the next tick and end() then adds an empty closing chunk, so Node would send the two
  // with a writev (in a profile under load, writev and its JS path took ~31% of the main
  // thread's busy time, the single write ~24%); uncorked before end(), the one string goes
  // out at once and end() has nothing left to send.
  if (body !== null && req.method !== "HEAD") {
    res.write(body instanceof Uint8Array ? latin1Of(body) : body, "latin1");
    res.socket?.uncork();
  }
  res.end();
}
