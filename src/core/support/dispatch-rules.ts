// The order in which waiting tasks are handed out, stated once. The dispatch query's ORDER BY is
// built from DISPATCH_ORDER (db/tasks-repo.ts); the tasks_dispatch index and the `ready` column of
// the schema (frozen in a migration) are checked against it and READY_TASK_STATUSES
// (statuses.ts) by test/core/support/dispatch-rules.test.ts, and tasks_dispatch_v3 (the same for
// the tasks Flamenco 3 Workers can run) against tasks_dispatch by
// test/core/protocol/generations.test.ts. Kept in support/, the layer below db/, because the
// database's query is built from it.

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

export type Ordered = Record<OrderKey['column'], number>;

/** Whether a comes before b in dispatch order. */
export function dispatchesBefore(a: Ordered, b: Ordered): boolean {
  for (const { column, descending } of DISPATCH_ORDER) {
    if (a[column] !== b[column]) return descending ? a[column] > b[column] : a[column] < b[column];
  }
  return false;
}
