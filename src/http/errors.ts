// The one place where a typed error becomes an HTTP status.
import { DomainError, type ErrorCode, isSqliteBusy, RateLimitedError, storageProblem, UnavailableError } from '../core/support/errors';
import type { Logger } from '../core/support/logger';
import { errorReply, type Reply } from './reply';

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  unprocessable: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  busy: 503,
  rate_limited: 429,
  unavailable: 503,
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/** The Retry-After header for a wait in milliseconds (whole seconds, at least 1). */
export function retryAfter(ms: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))) };
}

/** An answer decided before the handler ran (e.g. by a guard), sent as it is. */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`answered ${reply.status}`);
  }
}

/** Storage failures are logged at most once per this period each: a full disk must not also flood the log. */
const STORAGE_LOG_EVERY_MS = 10_000;
const storageLogged = new Map<string, number>();

function logStorageProblem(log: Logger, where: string, problem: string, err: unknown): void {
  const now = Date.now();
  if (now - (storageLogged.get(problem) ?? 0) < STORAGE_LOG_EVERY_MS) return;
  storageLogged.set(problem, now);
  log.error('storage failure; requests are answered 503 until it is fixed', { where, problem, error: err instanceof Error ? err.message : String(err) });
}

export function replyForError(err: unknown, log: Logger, where: string): Reply {
  if (err instanceof ReplyError) return err.reply;
  if (err instanceof HttpError) return errorReply(err.status, err.code, err.message, err.headers);
  if (err instanceof RateLimitedError) return errorReply(429, err.code, err.message, retryAfter(err.retryAfterMs));
  if (err instanceof UnavailableError) {
    logStorageProblem(log, where, err.message, err);
    return errorReply(503, err.code, err.message, { 'Retry-After': '5' });
  }
  if (err instanceof DomainError) return errorReply(STATUS[err.code], err.code, err.message);
  // A full disk or a read-only database is the operator's to fix, not a bug: the client is told
  // what is wrong and to try again (a worker keeps its update and sends it again).
  const problem = storageProblem(err);
  if (problem) {
    logStorageProblem(log, where, problem, err);
    return errorReply(503, 'unavailable', `${problem}; nothing was changed, try again later`, { 'Retry-After': '5' });
  }
  if (isSqliteBusy(err)) {
    log.warn('database busy', { where });
    return errorReply(503, 'busy', 'the database is busy, try again', { 'Retry-After': '1' });
  }
  log.error('internal error', { where, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return errorReply(500, 'internal', 'internal error; see the manager log');
}
