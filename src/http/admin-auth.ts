// The admin token check of every route that takes it, with a bound on guessing: wrong tokens
// are counted per address, and past ADMIN_FAILURES_PER_ADDRESS in a window the address is
// answered 429 (with Retry-After) without comparing anything until the window ends. Failures are
// logged as every refusal is, at most once per address a minute with how many there were
// (support/refusal-log.ts). The counter is the one the worker protocol uses for wrong worker
// secrets (support/window-counter.ts).
import type { IncomingMessage } from 'node:http';
import { RateLimitedError, UnauthorizedError } from '../core/support/errors';
import { WindowCounter } from '../core/support/window-counter';
import { type AdminTokenRef, tokenMatches } from '../core/support/admin-token';
import type { Clock } from '../core/support/clock';
import type { RefusalLog } from '../core/support/refusal-log';

/** Wrong admin tokens an address may present per window before it must wait. */
export const ADMIN_FAILURES_PER_ADDRESS = 10;
export const ADMIN_FAILURE_WINDOW_MS = 60_000;

/** The token of an `Authorization: Bearer <token>` header; '' without one. */
export function bearerToken(req: IncomingMessage): string {
  const h = req.headers.authorization;
  return typeof h === 'string' && /^Bearer\s+/i.test(h) ? h.replace(/^Bearer\s+/i, '').trim() : '';
}

const unauthorized = () => new UnauthorizedError('admin token missing or wrong (see `flamenco-mgr admin-token`)', 'Bearer realm="flamenco-mgr"');

export class AdminAuth {
  private readonly failures: WindowCounter;

  constructor(
    /** The token, or serve's source of the current one (it changes with `admin-token --rotate`). */
    private readonly token: AdminTokenRef,
    clock: Clock,
    private readonly refusals: RefusalLog,
  ) {
    this.failures = new WindowCounter(clock, ADMIN_FAILURES_PER_ADDRESS, ADMIN_FAILURE_WINDOW_MS);
  }

  /**
   * Whether the request presents credentials: false without an Authorization header, true with
   * the right admin token; wrong credentials (a wrong token, a worker's Basic credentials) are
   * refused with 401, and 429 once the address presented too many.
   */
  presents(req: IncomingMessage): boolean {
    if (req.headers.authorization === undefined) return false;
    const address = req.socket.remoteAddress ?? '';
    const wait = this.failures.blockedFor(address);
    if (wait > 0) {
      this.refusals.refused('admin token refused: too many wrong tokens from this address', address);
      throw new RateLimitedError('too many wrong admin tokens from this address; try again later', wait);
    }
    const presented = bearerToken(req);
    if (presented && tokenMatches(presented, this.token)) return true;
    this.failures.add(address);
    this.refusals.refused('admin token refused: missing or wrong', address, { path: (req.url ?? '').slice(0, 200) });
    throw unauthorized();
  }

  /** Refuses the request unless it presents the admin token. */
  require(req: IncomingMessage): void {
    if (!this.presents(req)) throw unauthorized();
  }
}
