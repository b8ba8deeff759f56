// Typed errors and the one table that says what each error code means outside: its HTTP
// status (http/errors.ts), its exit code (main.ts, also for errors a remote manager answered:
// cli/client/remote.ts) and, where waiting helps, its Retry-After.
import { ownValue } from './own';

/** The exit codes of the CLI (README, "Exit codes"). */
export const EXIT = {
  internal: 1,
  badInput: 2,
  notFound: 3,
  conflict: 4,
  /** Busy or failing storage: nothing was changed; the same command may succeed later. */
  tryAgain: 5,
  /** The remote manager refused the admin token. */
  refused: 10,
  unreachable: 11,
  otherVersion: 12,
} as const;

export interface ErrorRule {
  status: number;
  exit: number;
  /** Retry-After of the answer; an error may carry its own (RateLimitedError). */
  retryAfterMs?: number;
}

/**
 * Every error code there is. The worker-only codes (not_acceptable, unknown_worker,
 * length_required) are answers the Flamenco Workers act on (docs/protocol.md, docs/workers.md); a
 * CLI never sees them.
 */
export const ERROR_RULES = {
  validation: { status: 400, exit: EXIT.badInput },
  unauthorized: { status: 401, exit: EXIT.refused },
  forbidden: { status: 403, exit: EXIT.refused },
  not_found: { status: 404, exit: EXIT.notFound },
  method_not_allowed: { status: 405, exit: EXIT.badInput },
  not_acceptable: { status: 406, exit: EXIT.badInput },
  conflict: { status: 409, exit: EXIT.conflict },
  unknown_worker: { status: 409, exit: EXIT.refused },
  precondition_failed: { status: 412, exit: EXIT.conflict },
  // A Flamenco 3 worker's image without a Content-Length (its output-produced route asks for one).
  length_required: { status: 411, exit: EXIT.badInput },
  too_large: { status: 413, exit: EXIT.badInput },
  misdirected_request: { status: 421, exit: EXIT.badInput },
  unsupported_media_type: { status: 415, exit: EXIT.badInput },
  range_not_satisfiable: { status: 416, exit: EXIT.badInput },
  unprocessable: { status: 422, exit: EXIT.badInput },
  rate_limited: { status: 429, exit: EXIT.tryAgain },
  internal: { status: 500, exit: EXIT.internal },
  // SQLite's busy timeout has passed already: a second is enough for the other writer to end.
  busy: { status: 503, exit: EXIT.tryAgain, retryAfterMs: 1_000 },
  // A worker keeps its update and sends it again; the operator needs a moment to free space.
  unavailable: { status: 503, exit: EXIT.tryAgain, retryAfterMs: 5_000 },
  // Stopping takes a fraction of a second under load; a restart a few seconds.
  shutting_down: { status: 503, exit: EXIT.tryAgain, retryAfterMs: 5_000 },
} as const satisfies Record<string, ErrorRule>;

export type ErrorCode = keyof typeof ERROR_RULES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && ownValue(ERROR_RULES, code) !== undefined;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** How long the caller should wait before trying again, when it differs from the code's. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get rule(): ErrorRule {
    return ERROR_RULES[this.code];
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

/** The caller may not do this, whatever the input: a setting only admins may choose, a request from outside trusted_networks or from another site. */
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

/** Something is too busy to take the request now: the database (locked by another process) or serve (too many event streams). */
export class BusyError extends DomainError {
  constructor(message = 'the database is busy, try again', retryAfterMs?: number) {
    super('busy', message, retryAfterMs);
  }
}

/** A caller asked more often than a limit allows; it may try again after `retryAfterMs`. */
export class RateLimitedError extends DomainError {
  declare readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super('rate_limited', message, retryAfterMs);
  }
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

/** Credentials missing or wrong. `challenge` says how to present them (WWW-Authenticate). */
export class UnauthorizedError extends DomainError {
  constructor(
    message: string,
    readonly challenge?: string,
  ) {
    super('unauthorized', message);
  }
}

export class MethodNotAllowedError extends DomainError {
  constructor(message: string) {
    super('method_not_allowed', message);
  }
}

/** A worker asked for a task without supporting any task type. */
export class NotAcceptableError extends DomainError {
  constructor(message: string) {
    super('not_acceptable', message);
  }
}

/** Worker credentials this manager does not know, on a task update (http/worker-refusals.ts). */
export class UnknownWorkerError extends DomainError {
  constructor(message: string) {
    super('unknown_worker', message);
  }
}

/** A request without the admin token addressed to a host name this manager does not go by. */
export class MisdirectedRequestError extends DomainError {
  constructor(message: string) {
    super('misdirected_request', message);
  }
}

export class LengthRequiredError extends DomainError {
  constructor(message: string) {
    super('length_required', message);
  }
}

export class TooLargeError extends DomainError {
  constructor(message: string) {
    super('too_large', message);
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  constructor(message: string) {
    super('unsupported_media_type', message);
  }
}

/** A byte range past the end of a log. */
export class RangeNotSatisfiableError extends DomainError {
  constructor(message: string) {
    super('range_not_satisfiable', message);
  }
}

/** serve is stopping: a request on a connection still open is refused, to be sent again later. */
export class ShuttingDownError extends DomainError {
  constructor(message = 'the manager is shutting down; try again in a moment') {
    super('shutting_down', message);
  }
}

/** A bug: the message says where to look, never what broke. */
export class InternalError extends DomainError {
  constructor(message = 'internal error; see the manager log') {
    super('internal', message);
  }
}

/** The error of each code, as a remote manager's answer is turned back into one. */
const ERROR_OF: { [C in ErrorCode]: (message: string, retryAfterMs?: number) => DomainError } = {
  validation: (m) => new ValidationError(m),
  unauthorized: (m) => new UnauthorizedError(m),
  forbidden: (m) => new ForbiddenError(m),
  not_found: (m) => new NotFoundError(m),
  method_not_allowed: (m) => new MethodNotAllowedError(m),
  not_acceptable: (m) => new NotAcceptableError(m),
  conflict: (m) => new ConflictError(m),
  unknown_worker: (m) => new UnknownWorkerError(m),
  precondition_failed: (m) => new PreconditionFailedError(m),
  length_required: (m) => new LengthRequiredError(m),
  too_large: (m) => new TooLargeError(m),
  misdirected_request: (m) => new MisdirectedRequestError(m),
  unsupported_media_type: (m) => new UnsupportedMediaTypeError(m),
  range_not_satisfiable: (m) => new RangeNotSatisfiableError(m),
  unprocessable: (m) => new UnprocessableError(m),
  rate_limited: (m, ms) => new RateLimitedError(m, ms ?? 1_000),
  internal: (m) => new InternalError(m),
  busy: (m, ms) => new BusyError(m, ms),
  unavailable: (m) => new UnavailableError(m),
  shutting_down: (m) => new ShuttingDownError(m),
};

export function errorFor(code: ErrorCode, message: string, retryAfterMs?: number): DomainError {
  return ERROR_OF[code](message, retryAfterMs);
}

export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
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
