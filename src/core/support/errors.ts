// Typed domain errors. The HTTP layer maps them to status codes and the CLI to exit codes,
// each in exactly one place (http/errors.ts, main.ts).
import { ownValue } from './own';

export type ErrorCode =
  | 'validation'
  | 'unprocessable'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'busy'
  | 'unavailable'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited';

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

/** The request was made against something that has changed since (a stale job-type etag). */
export class PreconditionFailedError extends DomainError {
  constructor(message: string) {
    super('precondition_failed', message);
  }
}

/** The caller may not do this, whatever the input (a setting only admins may choose). */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
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

/**
 * Storage the manager needs failed (a full disk, a read-only file system, no file handles left):
 * nothing was changed, and the same request may succeed once the operator fixed it.
 */
export class UnavailableError extends DomainError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

const STORAGE_PROBLEMS: Record<string, string> = {
  SQLITE_FULL: 'the disk holding the database is full',
  SQLITE_READONLY: 'the database is read-only (check the permissions of the data directory and its file system)',
  SQLITE_IOERR: 'the database could not be read or written (I/O error)',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EMFILE: 'the manager has too many open files',
  ENFILE: 'the system has too many open files',
  EROFS: 'the file system is read-only',
  EIO: 'I/O error',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/**
 * What is wrong with the storage when err is a storage failure (SQLite's "database or disk is
 * full", a read-only database, ENOSPC, EMFILE …), else undefined. SQLite's extended codes
 * (SQLITE_READONLY_DBMOVED, SQLITE_IOERR_WRITE …) count as their primary code.
 */
export function storageProblem(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return undefined;
  const primary = code.startsWith('SQLITE_') ? code.replace(/^(SQLITE_[A-Z]+?)(_[A-Z]+)*$/, '$1') : code;
  return ownValue(STORAGE_PROBLEMS, primary);
}
/** A name or id prefix that fits more than one thing; the message lists them with their ids. */
export class AmbiguousNameError extends ValidationError {
  constructor(
    message: string,
    readonly candidates: { id: string; name: string }[],
  ) {
    super(message);
  }
}
