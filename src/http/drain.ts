// Stopping the HTTP server without dropping anyone. Once it no longer listens, every request
// still arriving on an open connection is answered 503 with `Connection: close`, and every answer
// closes its connection (server.ts), so connections end by themselves as their requests finish.
import type { Server } from 'node:http';
import net from 'node:net';

export interface DrainOptions {
  /**
   * How long an idle kept-alive connection may still bring a request before it is closed. A
   * client may be sending one right now; closing under it would be a reset, while a request
   * that arrives is answered (refused politely) and its connection closed cleanly.
   */
  graceMs?: number;
  /** Connections still open after this are cut (a client that never finishes its request). */
  forceAfterMs?: number;
}

/**
 * Stops accepting connections; resolves once every connection is closed. `forced`: some had to be
 * cut. The server's 'stopping' event comes first: responses that never end by themselves (event
 * streams) end on it.
 */
export function drain(server: Server, opts: DrainOptions = {}): Promise<{ forced: boolean }> {
  server.emit('stopping');
  return new Promise((resolve) => {
    let forced = false;
    const idle = setInterval(() => server.closeIdleConnections(), opts.graceMs ?? 200);
    const force = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, opts.forceAfterMs ?? 5000);
    // net.Server's close: http.Server's own would also close idle connections at once, racing any
    // request already on its way to us.
    net.Server.prototype.close.call(server, () => {
      clearInterval(idle);
      clearTimeout(force);
      // Now http.Server's close has nothing left to cut; it stops its timeout checks.
      server.close(() => resolve({ forced }));
    });
  });
}
