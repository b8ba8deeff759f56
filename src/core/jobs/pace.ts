// When a job's task runs started and ended and when it will likely end, from its task runs
// (db/task-runs-repo.ts). The answers are moments, not durations from now: the same job reads
// the same from the CLI, the API and the dashboard whenever it is asked (the page works out
// "elapsed" and "in 2m" itself).
//
// The estimated end: the mean duration of the job's completed runs is what each task still to do
// will take, and a running task still needs that mean minus how long it has run (never less than
// 0). The work is shared by the workers on the job: those whose runs of it started within two
// means before its newest run did (a worker between two of its tasks counts; one gone for longer
// does not). It starts now while a task runs, else at the end of the job's last run. Unless a
// running task has run past the mean, that is a fixed moment, the same whenever it is asked. It is
// given only for an active job that has completed a run: before, there is nothing to measure.
import type { JobPace, TaskRunRecord } from '../../db/task-runs-repo';
import { isoTime } from '../support/clock';
import type { JobStatus, TaskStatus } from '../support/statuses';

export interface Pace {
  /** When the job's first task run started; null before one did. */
  run_started: string | null;
  /** When its last task run ended, once none runs; null while one does (or before any ran). */
  run_ended: string | null;
  /** When its last task will likely have completed; null when there is no estimate. */
  estimated_end: string | null;
  /** The mean duration of the job's completed runs, the estimate's basis. */
  mean_task_ms: number | null;
}

export const NO_PACE: Pace = { run_started: null, run_ended: null, estimated_end: null, mean_task_ms: null };

/** Statuses of a job whose tasks may be running now. */
const RUNNING_JOB: readonly JobStatus[] = ['active', 'pause-requested', 'cancel-requested'];

export function paceOf(
  status: JobStatus,
  counts: Partial<Record<TaskStatus, number>>,
  pace: JobPace,
  open: readonly Pick<TaskRunRecord, 'started'>[],
  /** recentWorkers(job, 2 × the mean). */
  workers: (windowMs: number) => number,
  now: number,
): Pace {
  const running = RUNNING_JOB.includes(status) || open.length > 0;
  const run_started = pace.first_started === null ? null : isoTime(pace.first_started);
  const run_ended = running || pace.last_ended === null ? null : isoTime(pace.last_ended);
  const mean = pace.completed_runs > 0 ? pace.completed_ms / pace.completed_runs : null;
  const mean_task_ms = mean === null ? null : Math.round(mean);
  if (mean === null || status !== 'active') return { run_started, run_ended, estimated_end: null, mean_task_ms };
  const from = open.length > 0 ? now : (pace.last_ended ?? now);
  const waiting = (counts.queued ?? 0) + (counts['soft-failed'] ?? 0);
  const rest = open.reduce((sum, r) => sum + Math.max(0, mean - (from - r.started)), 0);
  const sharing = Math.max(1, open.length, workers(2 * mean));
  const estimated_end = isoTime(from + Math.round((waiting * mean + rest) / sharing));
  return { run_started, run_ended, estimated_end, mean_task_ms };
}
