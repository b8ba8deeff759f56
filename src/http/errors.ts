// The one place where a typed error becomes an HTTP status.
import { DomainError, type ErrorCode, isSqliteBusy, RateLimitedError } from '../core/support/errors';
import type { Logger } from '../core/support/logger';
import { errorReply, type Reply } from './reply';

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  unprocessable: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  busy: 503,
  rate_limited: 429,
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

export function replyForError(err: unknown, log: Logger, where: string): Reply {
  if (err instanceof ReplyError) return err.reply;
  if (err instanceof HttpError) return errorReply(err.status, err.code, err.message, err.headers);
  if (err instanceof RateLimitedError) return errorReply(429, err.code, err.message, retryAfter(err.retryAfterMs));
  if (err instanceof DomainError) return errorReply(STATUS[err.code], err.code, err.message);
  if (isSqliteBusy(err)) {
    log.warn('database busy', { where });
    return errorReply(503, 'busy', 'the database is busy, try again', { 'Retry-After': '1' });
  }
  log.error('internal error', { where, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return errorReply(500, 'internal', 'internal error; see the manager log');
}
