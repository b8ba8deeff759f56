// Worker credentials, the same for both worker protocols: HTTP Basic `<worker id>:<secret>`,
// checked by a route's guard from the headers, before any body is read; the handler then finds
// the worker the guard authenticated.
import type { IncomingMessage } from 'node:http';
import type { Manager } from '../core/manager';
import type { Caller, WorkerRecord } from '../core/protocol/workers';
import { isId } from '../core/support/ids';
import type { RequestCtx } from './server';
import { LoginRefused, unauthorized } from './worker-refusals';

/** Who sent a request: its peer address (IPv4-mapped IPv6 as plain IPv4) and User-Agent. */
export function callerOf(req: IncomingMessage): Caller {
  let address = req.socket.remoteAddress ?? '';
  if (address.startsWith('::ffff:')) address = address.slice(7);
  const ua = req.headers['user-agent'];
  return { address, software: typeof ua === 'string' ? ua : '' };
}

export interface WorkerAuth {
  /** Authenticates the request's worker; throws (or rejects with) LoginRefused or the protocol's 401. */
  guard(req: IncomingMessage): void | Promise<void>;
  /** The worker the guard authenticated for this request. */
  workerOf(req: IncomingMessage): WorkerRecord;
  /**
   * A handler for the authenticated worker, which is marked seen first (and awake unless it is
   * testing, with `wake`). Handlers write only through `repos.write` or the batch: their writes
   * join this turn's group commit, and the server answers once it is on disk; a request that
   * writes nothing (an idle /task poll; `seen` writes at most every SEEN_WRITE_INTERVAL_MS) takes
   * no lock and opens no transaction.
   */
  handler<R>(fn: (w: WorkerRecord, ctx: RequestCtx) => R, opts?: { wake?: boolean }): (ctx: RequestCtx) => R;
}

/**
 * `malformedId` is what a protocol answers an id that is not one of ours: Worker 2.x gets the
 * plain 401; a Flamenco 3 Worker holding another manager's UUID is told it is unknown, so that it
 * registers anew.
 */
export function workerAuth(m: Manager, malformedId: () => Error): WorkerAuth {
  const authenticated = new WeakMap<IncomingMessage, WorkerRecord>();
  const workerOf = (req: IncomingMessage): WorkerRecord => {
    const w = authenticated.get(req);
    if (!w) throw unauthorized();
    return w;
  };
  return {
    guard(req) {
      const h = req.headers.authorization;
      if (typeof h !== 'string' || !/^Basic\s+/i.test(h)) throw unauthorized();
      const decoded = Buffer.from(h.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw unauthorized();
      const id = decoded.slice(0, colon);
      if (!isId(id)) throw malformedId();
      const secret = decoded.slice(colon + 1);
      // A worker's every request after its first: answered without waiting (no promise to await).
      const known = m.workers.knownLogin(id, secret);
      if (known) {
        authenticated.set(req, known);
        return;
      }
      const address = callerOf(req).address;
      return m.workers.authenticate(id, secret, address).then((login) => {
        if ('refused' in login) {
          // A forgotten worker (or another manager's) keeps calling with its old credentials: an
          // admin sees it in the log, a line per address a minute at most.
          const why = login.refused === 'unknown' ? 'no such worker here, or a wrong secret' : 'too many failed logins';
          m.refusals.refused('worker credentials refused', address, { worker: id, why }, 'info');
          throw new LoginRefused(login);
        }
        authenticated.set(req, login.worker);
      });
    },
    workerOf,
    handler:
      (fn, { wake = false } = {}) =>
      (ctx) => {
        const w = workerOf(ctx.req);
        return m.batch.joined(() => {
          m.workers.seen(w, callerOf(ctx.req), { wake });
          return fn(w, ctx);
        });
      },
  };
}
