import type { Server } from "node:http";
import type { Socket } from "node:net";

/**
 * Closes a kept-alive connection that has sat idle for the server's keepAliveTimeout only
 * once the event loop has read what already arrived on it. After a stall (a loaded machine,
 * a long render) timers run before reads, so Node would close a socket that carries a
 * request its client was told it could send there, and the client would get a reset.
 * With a 'timeout' listener Node leaves closing the socket to it.
 */
export function closeIdleAfterReads(server: Server): void {
  server.on("timeout", (socket: Socket) => {
    const read = socket.bytesRead;
    setImmediate(() => {
      if (socket.bytesRead === read) socket.destroy();
    });
  });
}
