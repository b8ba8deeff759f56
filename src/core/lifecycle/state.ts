// The one owner of task and job status changes. Every path that moves a status (the worker
// protocol, the timeout checker, the CLI, the admin API) calls this module inside its
// transaction; the tables below say what is legal.
import type { JobStatusRecord } from '../../db/jobs-repo';
import type { TaskRecord } from '../../db/tasks-repo';
import type { Clock } from '../support/clock';
import { ConflictError } from '../support/errors';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { ENDING_JOB_STATUSES, type JobStatus, PAUSED_JOB_STATUSES, READY_TASK_STATUSES, RUNNING_TASK_STATUSES, type TaskStatus, WAITING_TASK_STATUSES } from '../support/statuses';
import { agrees, counted } from '../support/plural';
import type { OfferedJobAction } from '../api-types';

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

/** What an admin does to a job (lifecycle/job-actions.ts). */
export type JobAction = 'cancel' | 'pause' | 'resume';

/** Where a job may go from each status, and which admin actions may start from it. */
const JOB_TRANSITIONS: Record<JobStatus, { to: readonly JobStatus[]; actions: readonly JobAction[] }> = {
  queued: { to: ['active', 'completed', 'failed', 'canceled', 'cancel-requested', 'paused', 'pause-requested'], actions: ['cancel', 'pause'] },
  active: { to: ['queued', 'completed', 'failed', 'canceled', 'cancel-requested', 'paused', 'pause-requested'], actions: ['cancel', 'pause'] },
  completed: { to: ['queued'], actions: [] },
  failed: { to: ['queued'], actions: [] },
  canceled: { to: ['queued'], actions: [] },
  'cancel-requested': { to: ['canceled'], actions: [] },
  paused: { to: ['queued', 'active', 'canceled', 'cancel-requested'], actions: ['cancel', 'resume'] },
  'pause-requested': { to: ['paused', 'completed', 'canceled', 'cancel-requested', 'queued', 'active'], actions: ['cancel', 'resume'] },
};

const ACTION_WORDS: Record<JobAction, string> = { cancel: 'canceled', pause: 'paused', resume: 'resumed' };

/** Why `action` may not be done to a job in `status`, or undefined when it may. */
export function jobActionRefusal(action: JobAction, status: JobStatus): string | undefined {
  if (JOB_TRANSITIONS[status].actions.includes(action)) return undefined;
  const from = (Object.keys(JOB_TRANSITIONS) as JobStatus[]).filter((s) => JOB_TRANSITIONS[s].actions.includes(action));
  const list = from.length > 1 ? `${from.slice(0, -1).join(', ')} or ${from[from.length - 1]}` : from[0];
  return `only a ${list} job can be ${ACTION_WORDS[action]}`;
}

/**
 * Everything a job page may offer: the status actions of JOB_TRANSITIONS, and requeueing and
 * deleting, which a job's tasks decide rather than its status.
 */
export const OFFERED_JOB_ACTIONS: readonly OfferedJobAction[] = ['cancel', 'pause', 'resume', 'requeue', 'requeue-failed', 'delete'];

/**
 * The actions that fit a job now (its page shows only these; the actions refuse the others): the
 * status actions from JOB_TRANSITIONS; delete only with nothing of the job running on a worker;
 * requeue not while the job is being canceled or a task of it is still stopping (QueueService
 * asks this too); requeue-failed only with failed tasks, or for a failed job (whose other tasks
 * were canceled).
 */
export function allowedJobActions(status: JobStatus, counts: Partial<Record<TaskStatus, number>>): OfferedJobAction[] {
  const running = RUNNING_TASK_STATUSES.reduce((n, s) => n + (counts[s] ?? 0), 0);
  const failed = (counts.failed ?? 0) + (counts['soft-failed'] ?? 0);
  return OFFERED_JOB_ACTIONS.filter((a) => {
    if (a === 'cancel' || a === 'pause' || a === 'resume') return JOB_TRANSITIONS[status].actions.includes(a);
    if (a === 'delete') return running === 0;
    if (status === 'cancel-requested' || (counts['cancel-requested'] ?? 0) > 0) return false;
    return a === 'requeue' || failed > 0 || status === 'failed';
  });
}

export function canMoveTask(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TASK_TRANSITIONS[from].includes(to);
}

export function canMoveJob(from: JobStatus, to: JobStatus): boolean {
  return from === to || JOB_TRANSITIONS[from].to.includes(to);
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
    if (RUNNING_TASK_STATUSES.includes(from) && !RUNNING_TASK_STATUSES.includes(to)) {
      if (task.worker_id) workers.clearCurrentTask(task.worker_id, task.id);
      taskRuns.end(task.id, to, now);
    }
    if (change.workerId && !RUNNING_TASK_STATUSES.includes(from) && to === 'active') {
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
  setJobTasksStatus(jobId: string, from: readonly TaskStatus[], to: TaskStatus, opts: { clearWorker?: boolean; activity?: string } = {}): string[] {
    for (const f of from) if (!canMoveTask(f, to)) throw new ConflictError(`tasks cannot go from ${f} to ${to}`);
    const { tasks, taskCounts, workers, taskRuns } = this.repos;
    const moving = from.filter((f) => f !== to);
    const running = moving.filter((f) => RUNNING_TASK_STATUSES.includes(f) && !RUNNING_TASK_STATUSES.includes(to));
    const now = this.clock.now();
    for (const st of running) {
      for (const t of tasks.forJobStatus(jobId, st)) {
        if (t.worker_id) workers.clearCurrentTask(t.worker_id, t.id);
        taskRuns.end(t.id, to, now);
      }
    }
    const ids = tasks.bulkSetStatus(jobId, moving, to, now, opts);
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
    const sum = (set: readonly TaskStatus[]) => set.reduce((a, s) => a + n(s), 0);
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const running = sum(RUNNING_TASK_STATUSES);
    // A task handed back (returned, requeued at sign-off or timeout, soft-failed) into a job that
    // is not runnable any more follows the job instead of waiting in the queue.
    if (sum(READY_TASK_STATUSES) > 0 && PAUSED_JOB_STATUSES.includes(job.status)) {
      this.setJobTasksStatus(jobId, READY_TASK_STATUSES, 'paused');
    } else if (sum(READY_TASK_STATUSES) > 0 && ENDING_JOB_STATUSES.includes(job.status)) {
      this.setJobTasksStatus(jobId, READY_TASK_STATUSES, 'canceled');
    }
    switch (job.status) {
      case 'cancel-requested':
        // The activity stays: it says who canceled it ("canceled by an admin").
        if (running === 0) this.setJobStatus(job, 'canceled');
        return;
      case 'pause-requested':
        if (total > 0 && n('completed') === total) this.setJobStatus(job, 'completed', 'all tasks completed');
        else if (n('active') === 0) this.setJobStatus(job, 'paused');
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

  /** Fails a job: its tasks stop (stopTasks). */
  failJob(job: JobStatusRecord, reason: string): void {
    this.setJobStatus(job, 'failed', reason);
    this.stopTasks(job.id, `Canceled: the job failed (${reason})`);
    this.log.warn('job failed', { job: job.id, reason });
  }

  /**
   * A failed or canceled job's tasks: waiting ones are canceled with `activity` (which replaces
   * what an earlier run left, such as "will be retried"), running ones asked to stop.
   */
  stopTasks(jobId: string, activity: string): void {
    this.setJobTasksStatus(jobId, WAITING_TASK_STATUSES, 'canceled', { activity });
    this.setJobTasksStatus(jobId, ['active'], 'cancel-requested');
  }

  /** How many of the job's tasks hold a worker's attention. */
  runningTasks(jobId: string): number {
    const c = this.repos.taskCounts.forJob(jobId);
    return RUNNING_TASK_STATUSES.reduce((a, s) => a + (c[s] ?? 0), 0);
  }
}
