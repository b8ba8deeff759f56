// The one place where an error becomes an HTTP answer; its status and Retry-After come from the
// error code's rule (core/support/errors.ts).
import type { Clock } from '../core/support/clock';
import { BusyError, DomainError, InternalError, isSqliteBusy, storageProblem, UnauthorizedError, UnavailableError } from '../core/support/errors';
import type { Logger } from '../core/support/logger';
import { errorReply, type Reply } from './reply';

/** The Retry-After header for a wait in milliseconds (whole seconds, at least 1). */
export function retryAfter(ms: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))) };
}

/** The answer to a typed error: `{"error": {code, message}}`, with its code's status, Retry-After and any challenge. */
export function replyFor(err: DomainError, headers?: Record<string, string>): Reply {
  const rule = err.rule;
  const retry = err.retryAfterMs ?? rule.retryAfterMs;
  const challenge = err instanceof UnauthorizedError && err.challenge ? { 'WWW-Authenticate': err.challenge } : undefined;
  const all = retry === undefined && !challenge && !headers ? undefined : { ...(retry === undefined ? {} : retryAfter(retry)), ...challenge, ...headers };
  return errorReply(rule.status, err.code, err.message, all);
}

/** An answer decided before the handler ran (e.g. by a guard), sent as it is. */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`answered ${reply.status}`);
  }
}

/** Storage failures are logged at most once per this period each: a full disk must not also flood the log. */
const STORAGE_LOG_EVERY_MS = 10_000;

export type ErrorReplies = (err: unknown, where: string) => Reply;

/** Turns whatever a request threw into its answer; logs what the operator must see. */
export function errorReplies(log: Logger, clock: Clock): ErrorReplies {
  const storageLogged = new Map<string, number>();
  const logStorageProblem = (where: string, problem: string, err: unknown): void => {
    const now = clock.now();
    if (now - (storageLogged.get(problem) ?? Number.NEGATIVE_INFINITY) < STORAGE_LOG_EVERY_MS) return;
    storageLogged.set(problem, now);
    log.error('storage failure; requests are answered 503 until it is fixed', { where, problem, error: err instanceof Error ? err.message : String(err) });
  };
  return (err, where) => {
    if (err instanceof ReplyError) return err.reply;
    if (err instanceof UnavailableError) logStorageProblem(where, err.message, err);
    if (err instanceof DomainError) return replyFor(err);
    // A full disk or a read-only database is the operator's to fix, not a bug: the client is told
    // what is wrong and to try again (a worker keeps its update and sends it again).
    const problem = storageProblem(err);
    if (problem) {
      logStorageProblem(where, problem, err);
      return replyFor(new UnavailableError(`${problem}; nothing was changed, try again later`));
    }
    if (isSqliteBusy(err)) {
      log.warn('database busy', { where });
      return replyFor(new BusyError());
    }
    log.error('internal error', { where, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return replyFor(new InternalError());
  };
}
