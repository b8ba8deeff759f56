// Status vocabularies shared by the worker protocol, the database, the CLI and the dashboard, and
// the sets of statuses the rules speak of, each named once. The database's live SQL is built from
// these sets (db/waiting-repo.ts, db/tasks-repo.ts); migrations keep the text they were released
// with, and test/core/support/dispatch-rules.test.ts checks the schema's `ready` column against
// READY_TASK_STATUSES. Imports nothing: db/ and the dashboard use it too.

export const WORKER_STATUSES = ['', 'starting', 'awake', 'asleep', 'testing', 'error', 'timeout', 'offline'] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

/** Statuses in which a worker is expected to talk to us; silence there means timeout. */
export const LIVE_WORKER_STATUSES: readonly WorkerStatus[] = ['awake', 'starting', 'testing', 'asleep'];

/**
 * Statuses an admin (or a sleep schedule) may ask a worker to move to. `restart` only of a worker
 * that said at sign-on it can restart (can_restart).
 */
export const REQUESTABLE_STATUSES = ['awake', 'asleep', 'shutdown', 'restart'] as const;
export type RequestableStatus = (typeof REQUESTABLE_STATUSES)[number];

export const TASK_STATUSES = ['queued', 'active', 'completed', 'failed', 'soft-failed', 'canceled', 'cancel-requested', 'paused'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Task statuses that hold a worker's attention: it runs the task, or is to stop it. */
export const RUNNING_TASK_STATUSES: readonly TaskStatus[] = ['active', 'cancel-requested'];

/** A task may be handed out when it is in one of these statuses and all its parents completed. */
export const READY_TASK_STATUSES: readonly TaskStatus[] = ['queued', 'soft-failed'];

/** Task statuses that wait for a worker: ready ones, and paused ones that wait for their job to resume. */
export const WAITING_TASK_STATUSES: readonly TaskStatus[] = [...READY_TASK_STATUSES, 'paused'];

export const JOB_STATUSES = ['queued', 'active', 'completed', 'failed', 'canceled', 'cancel-requested', 'paused', 'pause-requested'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job paused, or pausing while its running tasks finish. */
export const PAUSED_JOB_STATUSES: readonly JobStatus[] = ['paused', 'pause-requested'];

/** A job that ends without completing: its waiting tasks are canceled, not run. */
export const ENDING_JOB_STATUSES: readonly JobStatus[] = ['canceled', 'cancel-requested', 'failed'];

/** What a worker may report in a task update. */
export const REPORTABLE_TASK_STATUSES = ['active', 'completed', 'failed', 'canceled'] as const;

export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/**
 * Whether the worker holding the task is still running it (RUNNING_TASK_STATUSES), so its reports
 * of activity and progress count. In any other status the task has ended for that worker.
 */
export function isRunningOnWorker(status: TaskStatus): boolean {
  return RUNNING_TASK_STATUSES.includes(status);
}
