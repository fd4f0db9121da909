import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

/**
 * An answer sent before its request's body was read (a 413 decided from Content-Length, a
 * 400 for an oversize batch, a 401 before the body matters) says `Connection: close`.
 *
 * Why: the socket cannot serve another request until the unread body has gone by, and
 * @hono/node-server drains it for at most 500 ms before dropping the socket. Answered with
 * keep-alive, a client reused that socket for its next request, which then failed
 * (ECONNRESET); told to close, it opens a new connection instead.
 */
export function closeUnreadBodies(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (hasBody(req)) {
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
        if (!req.complete) this.setHeader("Connection", "close");
        return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as ServerResponse["writeHead"];
    }
    return listener(req, res);
  };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}
