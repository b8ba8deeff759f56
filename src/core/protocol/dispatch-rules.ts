// The scheduling rules of the protocol, stated once. The dispatch query's ORDER BY is built from
// DISPATCH_ORDER (db/tasks-repo.ts); the tasks_dispatch index and the `ready` column of the schema
// (frozen in a migration) are checked against these by test/core/protocol/dispatch-rules.test.ts,
// and tasks_dispatch_v3 (the same for the tasks Flamenco 3 Workers can run) against tasks_dispatch
// by test/core/protocol/generations.test.ts.
import type { TaskStatus } from '../support/statuses';

export interface OrderKey {
  column: 'job_priority' | 'priority' | 'job_seq' | 'seq';
  descending: boolean;
}

/**
 * Which waiting task goes first, most significant key first: the job's priority, then the task's
 * priority within its job, then the older job, then the task created first.
 */
export const DISPATCH_ORDER: readonly OrderKey[] = [
  { column: 'job_priority', descending: true },
  { column: 'priority', descending: true },
  { column: 'job_seq', descending: false },
  { column: 'seq', descending: false },
];

/** A task may be handed out when it is in one of these statuses and all its parents completed. */
export const READY_STATUSES: readonly TaskStatus[] = ['queued', 'soft-failed'];

export type Ordered = Record<OrderKey['column'], number>;

/** Whether a comes before b in dispatch order. */
export function dispatchesBefore(a: Ordered, b: Ordered): boolean {
  for (const { column, descending } of DISPATCH_ORDER) {
    if (a[column] !== b[column]) return descending ? a[column] > b[column] : a[column] < b[column];
  }
  return false;
}
