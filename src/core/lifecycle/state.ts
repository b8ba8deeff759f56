// The one owner of task and job status changes. Every path that moves a status (the worker
// protocol, the timeout checker, the CLI, the admin API) calls this module inside its
// transaction; the tables below say what is legal.
import type { JobStatusRecord } from '../../db/jobs-repo';
import type { TaskRecord } from '../../db/tasks-repo';
import type { Clock } from '../support/clock';
import { ConflictError } from '../support/errors';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { JOB_STATUSES, type JobStatus, type TaskStatus } from '../support/statuses';
import { agrees, counted } from '../support/plural';

const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  queued: ['active', 'canceled', 'paused'],
  'soft-failed': ['active', 'canceled', 'paused', 'queued'],
  active: ['completed', 'failed', 'soft-failed', 'queued', 'canceled', 'cancel-requested'],
  'cancel-requested': ['canceled'],
  completed: ['queued'],
  failed: ['queued'],
  canceled: ['queued'],
  paused: ['queued', 'canceled'],
};

const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['active', 'completed', 'failed', 'canceled', 'cancel-requested', 'paused', 'pause-requested'],
  active: ['queued', 'completed', 'failed', 'canceled', 'cancel-requested', 'paused', 'pause-requested'],
  completed: ['queued'],
  failed: ['queued'],
  canceled: ['queued'],
  'cancel-requested': ['canceled'],
  paused: ['queued', 'active', 'canceled', 'cancel-requested'],
  'pause-requested': ['paused', 'completed', 'canceled', 'cancel-requested', 'queued', 'active'],
};

/** What a supervisor can do to a job (JobActions, QueueService), and what each asks of the job. */
export const JOB_ACTIONS = ['cancel', 'pause', 'resume', 'requeue', 'requeue-failed', 'delete'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/**
 * The job statuses each action starts from, and the status it moves the job towards: every pair
 * is a transition of JOB_TRANSITIONS (a test holds the two tables together). The job page shows
 * only the buttons allowedJobActions names, and the actions refuse the rest with these rules.
 */
export const JOB_ACTION_RULES: Record<JobAction, { from: readonly JobStatus[]; to: JobStatus | null }> = {
  cancel: { from: ['queued', 'active', 'paused', 'pause-requested'], to: 'cancel-requested' },
  pause: { from: ['queued', 'active'], to: 'pause-requested' },
  resume: { from: ['paused', 'pause-requested'], to: 'queued' },
  requeue: { from: ['queued', 'active', 'completed', 'failed', 'canceled', 'paused', 'pause-requested'], to: 'queued' },
  'requeue-failed': { from: ['queued', 'active', 'completed', 'failed', 'canceled', 'paused', 'pause-requested'], to: 'queued' },
  // Deleting leaves the table: no status follows. It needs nothing running (allowedJobActions),
  // which an active job normally has.
  delete: { from: JOB_STATUSES, to: null },
};

/**
 * The actions that fit a job now, from its status and task counts: a job with tasks still
 * running on workers cannot be deleted or requeued (they must stop first), and "requeue failed"
 * needs failed tasks (or a failed job, whose other tasks were canceled).
 */
export function allowedJobActions(status: JobStatus, counts: Partial<Record<TaskStatus, number>>): JobAction[] {
  const running = (counts.active ?? 0) + (counts['cancel-requested'] ?? 0);
  const failed = (counts.failed ?? 0) + (counts['soft-failed'] ?? 0);
  return JOB_ACTIONS.filter((a) => {
    if (!JOB_ACTION_RULES[a].from.includes(status)) return false;
    if (a === 'delete') return running === 0;
    if (a === 'requeue' || a === 'requeue-failed') {
      if ((counts['cancel-requested'] ?? 0) > 0) return false;
      return a === 'requeue' || failed > 0 || status === 'failed';
    }
    return true;
  });
}

/** Task statuses that still hold a worker's attention. */
const RUNNING: readonly TaskStatus[] = ['active', 'cancel-requested'];

export function canMoveTask(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TASK_TRANSITIONS[from].includes(to);
}

export function canMoveJob(from: JobStatus, to: JobStatus): boolean {
  return from === to || JOB_TRANSITIONS[from].includes(to);
}

export interface TaskChange {
  activity?: string;
  /** Forget the task's worker (requeue, soft-fail). */
  clearWorker?: boolean;
  /** Assign to this worker (→ active). */
  workerId?: string;
  /** That worker's nickname, kept with the run it starts (the worker may be forgotten later). */
  workerName?: string;
}

export class StateMachine {
  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly jobFailShare: () => number,
    private readonly log: Logger,
  ) {}

  /** Moves one task; keeps counts, dependency counters, the worker's current task and the job in step. */
  setTaskStatus(task: TaskRecord, to: TaskStatus, change: TaskChange = {}): void {
    const from = task.status;
    if (!canMoveTask(from, to)) {
      throw new ConflictError(`task ${task.id} cannot go from ${from} to ${to}`);
    }
    const now = this.clock.now();
    const { tasks, taskCounts, workers, taskRuns } = this.repos;
    const worker_id = change.workerId ?? (change.clearWorker ? null : undefined);
    const workerChange = change.workerId ? { assign: change.workerId } : change.clearWorker ? { release: true as const } : { keep: true as const };
    tasks.setStatus(task.id, to, now, workerChange, change.activity);
    if (from !== to) {
      taskCounts.add(task.job_id, from, -1);
      taskCounts.add(task.job_id, to, 1);
      if (to === 'completed') tasks.adjustChildrenPending(task.id, -1);
      if (from === 'completed') tasks.adjustChildrenPending(task.id, 1);
    }
    if (RUNNING.includes(from) && !RUNNING.includes(to)) {
      if (task.worker_id) workers.clearCurrentTask(task.worker_id, task.id);
      taskRuns.end(task.id, to, now);
    }
    if (change.workerId && !RUNNING.includes(from) && to === 'active') {
      const name = change.workerName ?? workers.get(change.workerId)?.nickname ?? change.workerId;
      taskRuns.start(task.id, task.job_id, change.workerId, name, now);
    }
    task.status = to;
    if (worker_id !== undefined) task.worker_id = worker_id;
    if (from !== to) this.settleJob(task.job_id);
  }

  setJobStatus(job: JobStatusRecord, to: JobStatus, activity?: string): void {
    if (job.status === to) return;
    if (!canMoveJob(job.status, to)) throw new ConflictError(`job ${job.id} is ${job.status}; it cannot become ${to}`);
    this.repos.jobs.setStatus(job.id, to, this.clock.now(), activity);
    this.log.info('job status changed', { job: job.id, from: job.status, to });
    job.status = to;
  }

  /**
   * Moves every task of a job in one of `from` to `to` in bulk (job-wide actions on large jobs).
   * Only for transitions the table allows; returns the ids moved.
   */
  setJobTasksStatus(jobId: string, from: readonly TaskStatus[], to: TaskStatus, clearWorker: boolean): string[] {
    for (const f of from) if (!canMoveTask(f, to)) throw new ConflictError(`tasks cannot go from ${f} to ${to}`);
    const { tasks, taskCounts, workers, taskRuns } = this.repos;
    const moving = from.filter((f) => f !== to);
    const running = moving.filter((f) => RUNNING.includes(f) && !RUNNING.includes(to));
    const now = this.clock.now();
    for (const st of running) {
      for (const t of tasks.forJobStatus(jobId, st)) {
        if (t.worker_id) workers.clearCurrentTask(t.worker_id, t.id);
        taskRuns.end(t.id, to, now);
      }
    }
    const ids = tasks.bulkSetStatus(jobId, moving, to, now, clearWorker);
    if (ids.length > 0) {
      taskCounts.recount(jobId);
      if (moving.includes('completed') || to === 'completed') tasks.recomputePending(jobId);
    }
    return ids;
  }

  /**
   * Decides a job's status from its task counts after a task changed. Also fails a job whose
   * failed tasks reached the configured share, or that can make no more progress.
   */
  settleJob(jobId: string): void {
    const job = this.repos.jobs.status(jobId);
    if (!job) return;
    const c = this.repos.taskCounts.forJob(jobId);
    const n = (s: TaskStatus) => c[s] ?? 0;
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const running = n('active') + n('cancel-requested');
    // A task handed back (returned, requeued at sign-off or timeout, soft-failed) into a job that
    // is not runnable any more follows the job instead of waiting in the queue.
    const waiting = n('queued') + n('soft-failed');
    if (waiting > 0 && ['paused', 'pause-requested'].includes(job.status)) {
      this.setJobTasksStatus(jobId, ['queued', 'soft-failed'], 'paused', false);
    } else if (waiting > 0 && ['canceled', 'cancel-requested', 'failed'].includes(job.status)) {
      this.setJobTasksStatus(jobId, ['queued', 'soft-failed'], 'canceled', false);
    }
    switch (job.status) {
      case 'cancel-requested':
        if (running === 0) this.setJobStatus(job, 'canceled', 'canceled');
        return;
      case 'pause-requested':
        if (total > 0 && n('completed') === total) this.setJobStatus(job, 'completed', 'all tasks completed');
        else if (n('active') === 0) this.setJobStatus(job, 'paused', 'paused');
        return;
      case 'queued':
      case 'active':
        break;
      default:
        return;
    }
    if (total > 0 && n('completed') === total) {
      this.setJobStatus(job, 'completed', 'all tasks completed');
      return;
    }
    if (n('failed') > 0 && n('failed') >= Math.ceil(this.jobFailShare() * total - 1e-9)) {
      this.failJob(job, `${n('failed')} of ${counted(total, 'task')} failed`);
      return;
    }
    if (running === 0 && !this.repos.tasks.jobHasReadyTask(jobId) && n('paused') === 0) {
      // Nothing runs and nothing can start: failed parents block the rest, or tasks were canceled.
      if (n('failed') > 0) this.failJob(job, `${counted(n('failed'), 'failed task')} ${agrees(n('failed'), 'blocks', 'block')} the rest of the job`);
      else if (n('canceled') > 0) this.setJobStatus(job, 'canceled', 'tasks were canceled');
      return;
    }
    if (job.status === 'queued' && running > 0) this.setJobStatus(job, 'active', 'running');
  }

  /** Fails a job: waiting tasks are canceled, running ones asked to stop. */
  failJob(job: JobStatusRecord, reason: string): void {
    this.setJobStatus(job, 'failed', reason);
    this.setJobTasksStatus(job.id, ['queued', 'soft-failed', 'paused'], 'canceled', false);
    this.setJobTasksStatus(job.id, ['active'], 'cancel-requested', false);
    this.log.warn('job failed', { job: job.id, reason });
  }
}
