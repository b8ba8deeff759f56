// How long lists are cut down for people: which jobs a listing shows by default (the current
// ones) and how many rows at most. The CLI and the /api/ query parameters share these rules.
import { ValidationError } from './support/errors';
import type { JobStatus } from './support/statuses';

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

/** A limit as typed (`--limit 20`, `?limit=20`): a whole number from 1. */
export function parseLimit(value: string | undefined, what = 'limit'): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ValidationError(`${what}: "${value}" is not a whole number from 1`);
  return Number(value);
}

/** A scope as typed (`?scope=current`); absent means all, as the API always answered. */
export function parseScope(value: string | undefined): Listing['scope'] {
  if (value === undefined || value === 'all') return 'all';
  if (value === 'current') return 'current';
  throw new ValidationError(`scope: "${value}" is not one of current, all`);
}
