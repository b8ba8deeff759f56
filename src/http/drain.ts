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
 * How long requests under way may take to finish once serve stops: then what is left is cut, so
 * that serve exits within 2 s of SIGTERM whatever its clients do (a service manager's stop, a
 * deploy). Answers are bounded (a tokenless read is at most 1 000 rows, ~300 KB), so one still
 * being written is written within this on any network that keeps up with a worker.
 */
export const STOP_BUDGET_MS = 1500;

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
    }, opts.forceAfterMs ?? STOP_BUDGET_MS);
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
