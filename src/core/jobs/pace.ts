// How long a job has run and when it will likely end, from its task runs (db/task-runs-repo.ts).
//
// The estimate: the mean duration of the job's completed runs is what each task still to do will
// take; a running task still needs that mean minus how long it has run (never less than 0); the
// work left is shared by as many workers as run the job's tasks now (at least one). It is given
// only for a job that is active and has completed a run: before, there is nothing to measure.
import type { JobPace, TaskRunRecord } from '../../db/task-runs-repo';
import type { JobStatus, TaskStatus } from '../support/statuses';

export interface Pace {
  /** From the job's first run's start to now while it runs, else to its last run's end. */
  elapsed_ms: number | null;
  /** Estimated time until the job's last task completes; null when there is no estimate. */
  eta_ms: number | null;
  /** The mean duration of the job's completed runs, the estimate's basis. */
  mean_task_ms: number | null;
}

/** Statuses of a job whose tasks may be running now (its elapsed time still grows). */
const RUNNING_JOB: readonly JobStatus[] = ['active', 'pause-requested', 'cancel-requested'];

export function paceOf(
  status: JobStatus,
  counts: Partial<Record<TaskStatus, number>>,
  pace: JobPace,
  open: readonly Pick<TaskRunRecord, 'started'>[],
  now: number,
): Pace {
  const running = RUNNING_JOB.includes(status);
  const elapsed_ms = pace.first_started === null ? null : Math.max(0, (running ? now : (pace.last_ended ?? now)) - pace.first_started);
  const mean = pace.completed_runs > 0 ? pace.completed_ms / pace.completed_runs : null;
  if (mean === null || status !== 'active') return { elapsed_ms, eta_ms: null, mean_task_ms: mean === null ? null : Math.round(mean) };
  const waiting = (counts.queued ?? 0) + (counts['soft-failed'] ?? 0);
  const rest = open.reduce((sum, r) => sum + Math.max(0, mean - (now - r.started)), 0);
  const eta_ms = Math.round((waiting * mean + rest) / Math.max(1, open.length));
  return { elapsed_ms, eta_ms, mean_task_ms: Math.round(mean) };
}
