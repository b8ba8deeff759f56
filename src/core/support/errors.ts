// Typed domain errors. The HTTP layer maps them to status codes and the CLI to exit codes,
// each in exactly one place (http/errors.ts, main.ts).

export type ErrorCode = 'validation' | 'unprocessable' | 'not_found' | 'conflict' | 'busy' | 'unauthorized' | 'forbidden' | 'rate_limited';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationError extends DomainError {
  constructor(message: string) {
    super('validation', message);
  }
}

/** Well-formed input that cannot be acted on (an empty list of produced files). */
export class UnprocessableError extends DomainError {
  constructor(message: string) {
    super('unprocessable', message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** The database stayed locked by another process longer than we may wait. */
export class BusyError extends DomainError {
  constructor(message = 'the database is busy, try again') {
    super('busy', message);
  }
}

/** A caller asked more often than a limit allows; it may try again after `retryAfterMs`. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('rate_limited', message);
  }
}

export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}
