// How long lists are cut down for people: which jobs a listing shows by default (the current
// ones), how many rows at most and from which. The CLI and the /api/ query parameters share
// these rules.
import { ValidationError } from './support/errors';
import type { JobStatus } from './support/statuses';
import { TOKENLESS_MAX_ROWS } from './support/limits';

/** A finished job stays in default listings this long after it finished. */
export const RECENT_MS = 24 * 3600_000;
/** Rows a listing shows unless told otherwise (`--limit`, `--all`). */
export const DEFAULT_LIMIT = 50;
/** Tasks `job` shows unless told otherwise. */
export const DEFAULT_TASK_LIMIT = 100;

const FINISHED: readonly JobStatus[] = ['completed', 'canceled', 'failed'];

/**
 * `current`: unfinished jobs and those finished within RECENT_MS; `all`: every job.
 * `limit`: at most this many (the newest); undefined for no limit.
 */
export interface Listing {
  scope: 'current' | 'all';
  limit?: number;
}

export const ALL: Listing = { scope: 'all' };

export function isCurrent(job: { status: JobStatus; updated: number }, now: number): boolean {
  return !FINISHED.includes(job.status) || now - job.updated <= RECENT_MS;
}

/** The last `limit` items (the newest of a list in creation order) and how many were left out. */
export function newest<T>(list: T[], limit: number | undefined): { items: T[]; omitted: number } {
  if (limit === undefined || list.length <= limit) return { items: list, omitted: 0 };
  return { items: list.slice(list.length - limit), omitted: list.length - limit };
}

/**
 * Most rows a limit or an offset may name: far past any farm's jobs or tasks, and well within
 * what SQLite's LIMIT and OFFSET take (a limit near 2^63 failed the query: a 500, not a 400).
 */
export const MAX_ROWS = 1_000_000_000;

/** A count of rows as typed, from `min` to MAX_ROWS; `what` names it in the error. */
function rows(value: string, what: string, min: number): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > MAX_ROWS) {
    throw new ValidationError(`${what}: "${value}" is not a whole number from ${min} to ${MAX_ROWS}`);
  }
  return Number(value);
}

/** A limit as typed (`--limit 20`, `?limit=20`): a whole number from 1. */
export function parseLimit(value: string | undefined, what = 'limit'): number | undefined {
  return value === undefined ? undefined : rows(value, what, 1);
}

/**
 * The rows a reader may have: with the admin token, the limit as asked (none: all); without it,
 * at most TOKENLESS_MAX_ROWS, also when no limit is given (X-Omitted says how many were left
 * out, and `offset` pages on).
 */
export function readerLimit(limit: number | undefined, tokenless: boolean): number | undefined {
  if (!tokenless) return limit;
  return Math.min(limit ?? TOKENLESS_MAX_ROWS, TOKENLESS_MAX_ROWS);
}

/** An offset as typed (`?offset=200`): how many rows of a listing to pass over, from 0. */
export function parseOffset(value: string | undefined, what = 'offset'): number | undefined {
  return value === undefined ? undefined : rows(value, what, 0);
}

/** A scope as typed (`?scope=current`); absent means all, as the API always answered. */
export function parseScope(value: string | undefined): Listing['scope'] {
  if (value === undefined || value === 'all') return 'all';
  if (value === 'current') return 'current';
  throw new ValidationError(`scope: "${value}" is not one of current, all`);
}
