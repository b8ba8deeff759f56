// Status vocabularies shared by the worker protocol, the database and the CLI.

export const WORKER_STATUSES = ['', 'starting', 'awake', 'asleep', 'testing', 'error', 'timeout', 'offline'] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

/** Statuses an admin (or a sleep schedule) may ask a worker to move to. */
export const REQUESTABLE_STATUSES = ['awake', 'asleep', 'shutdown'] as const;
export type RequestableStatus = (typeof REQUESTABLE_STATUSES)[number];

export const TASK_STATUSES = [
  'queued',
  'active',
  'completed',
  'failed',
  'soft-failed',
  'canceled',
  'cancel-requested',
  'paused',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const JOB_STATUSES = [
  'queued',
  'active',
  'completed',
  'failed',
  'canceled',
  'cancel-requested',
  'paused',
  'pause-requested',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** What a worker may report in a task update. */
export const REPORTABLE_TASK_STATUSES = ['active', 'completed', 'failed', 'canceled'] as const;

export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/**
 * Task statuses in which the worker holding the task is still running it, so its reports of
 * activity and progress count. In any other status the task has ended for that worker.
 */
export function isRunningOnWorker(status: TaskStatus): boolean {
  return status === 'active' || status === 'cancel-requested';
}
