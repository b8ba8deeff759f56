// What workers tell us about their tasks: updates, returns, "may I run", produced output.
import type { TaskRecord } from '../../db/tasks-repo';
import type { AtomicWrite } from '../../db/tx';
import type { WorkerRecord } from '../../db/workers-repo';
import type { Clock } from '../support/clock';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../support/errors';
import type { FailureHandler } from '../lifecycle/failures';
import { isId } from '../support/ids';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import type { StateMachine } from '../lifecycle/state';
import { isOneOf, REPORTABLE_TASK_STATUSES } from '../support/statuses';
import { finiteNumber, given, object, optionalString } from '../support/validate';
import type { TaskLogs } from './task-logs';
import { identifier } from './workers';

export interface TaskUpdate {
  task_status?: (typeof REPORTABLE_TASK_STATUSES)[number];
  activity?: string;
  log?: string;
  task_progress_percentage?: number;
  current_command_idx?: number;
  command_progress_percentage?: number;
  timing?: Record<string, number>;
}

const LOG_TAIL_LINES = 20;
const LOG_TAIL_CHARS = 4000;

/** Validates a TaskUpdate body; every problem names the field. */
export function parseTaskUpdate(body: unknown): TaskUpdate {
  const b = object(body);
  const u: TaskUpdate = {};
  if (given(b.task_status)) {
    if (!isOneOf(REPORTABLE_TASK_STATUSES, b.task_status)) {
      throw new ValidationError(`task_status: must be one of ${REPORTABLE_TASK_STATUSES.join(', ')}`);
    }
    u.task_status = b.task_status;
  }
  for (const k of ['activity', 'log'] as const) u[k] = optionalString(b[k], k);
  for (const k of ['task_progress_percentage', 'current_command_idx', 'command_progress_percentage'] as const) {
    if (given(b[k])) u[k] = finiteNumber(b[k], k);
  }
  if (given(b.metrics)) {
    const timing = object(b.metrics, 'metrics').timing;
    if (given(timing)) {
      const t = object(timing, 'metrics.timing');
      for (const [k, v] of Object.entries(t)) finiteNumber(v, `metrics.timing.${k}`, 'a number of seconds');
      u.timing = t as Record<string, number>;
    }
  }
  return u;
}

function tailLines(previous: string, log: string): string {
  const lines = (previous ? previous + '\n' : '') + log.replace(/\n$/, '');
  const kept = lines.split('\n').slice(-LOG_TAIL_LINES).join('\n');
  return kept.length > LOG_TAIL_CHARS ? kept.slice(-LOG_TAIL_CHARS) : kept;
}

export interface MayIRun {
  may_keep_running: boolean;
  reason?: string;
  status_requested?: string;
}

export class TaskReports {
  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly state: StateMachine,
    private readonly failures: FailureHandler,
    private readonly logs: TaskLogs,
    private readonly log: Logger,
  ) {}

  private taskOf(worker: WorkerRecord, taskId: string): TaskRecord {
    const task = isId(taskId) ? this.repos.tasks.get(taskId) : undefined;
    if (!task) throw new NotFoundError(`Task ${taskId} is unknown.`);
    if (task.worker_id !== worker.id) throw new ConflictError(`Task ${taskId} is assigned to another worker.`);
    return task;
  }

  /**
   * POST /tasks/{id}/update. `readBody` parses the body; it is called after the id checks. The
   * worker's log lines are written first and the update is applied (through `write`: the HTTP
   * server's group commit) only once they are on disk. An update whose lines could not be written
   * is refused (UnavailableError) having changed nothing, so the worker's retry is the whole update
   * again. Without log lines the update is applied before this returns.
   */
  update(worker: WorkerRecord, taskId: string, readBody: () => unknown, write: AtomicWrite = this.repos.write): Promise<void> {
    const task = this.taskOf(worker, taskId);
    const u = parseTaskUpdate(readBody());
    const apply = () => write(() => this.apply(worker, taskId, u));
    if (!u.log) {
      apply();
      return Promise.resolve();
    }
    return this.logs.write(task.job_id, taskId, u.log).then(apply);
  }

  private apply(worker: WorkerRecord, taskId: string, u: TaskUpdate): void {
    // Checked and read again inside the transaction: the task may have moved while the log was written.
    const task = this.taskOf(worker, taskId);
    const now = this.clock.now();
    this.repos.tasks.recordReport(
      task.id,
      {
        activity: u.activity,
        log_tail: u.log ? tailLines(task.log_tail, u.log) : undefined,
        task_progress: u.task_progress_percentage,
        command_idx: u.current_command_idx,
        command_progress: u.command_progress_percentage,
        metrics: u.timing ? { ...task.metrics, timing: u.timing } : undefined,
      },
      now,
    );
    this.repos.workers.recordTaskReport(worker.id, u.task_status, now);
    if (u.task_status) this.applyStatus(task, worker, u.task_status, u.activity);
  }

  private applyStatus(task: TaskRecord, worker: WorkerRecord, status: NonNullable<TaskUpdate['task_status']>, activity?: string): void {
    if (task.status === 'cancel-requested') {
      // The cancel stands, whatever the task's end on the worker; its word is kept after it, so
      // that a canceled task never reads "Task completed".
      if (status !== 'active') this.state.setTaskStatus(task, 'canceled', { activity: activity ? `canceled; the worker said: ${activity}` : 'canceled' });
      return;
    }
    // A late report for a task that already ended or was handed back changes no status.
    if (task.status !== 'active' || status === 'active') return;
    if (status === 'failed') {
      this.failures.workerFailed(task, worker, activity);
    } else {
      this.state.setTaskStatus(task, status, { activity });
      this.log.debug(`task ${status}`, { task: task.id, job: task.job_id, worker: worker.id });
    }
  }

  /** POST /tasks/{id}/return: the worker gives the task back. */
  returnTask(worker: WorkerRecord, taskId: string): void {
    const task = isId(taskId) ? this.repos.tasks.get(taskId) : undefined;
    if (!task) throw new NotFoundError(`Task ${taskId} is unknown.`);
    if (task.worker_id !== worker.id) return;
    this.repos.write(() => {
      const t = this.repos.tasks.get(taskId)!;
      if (t.worker_id !== worker.id) return;
      if (t.status === 'active') {
        this.state.setTaskStatus(t, 'queued', {
          clearWorker: true,
          activity: `Re-queued task after unassigning from worker ${identifier(worker)}: returned by worker`,
        });
        this.log.debug('task returned', { task: t.id, worker: worker.id });
      } else if (t.status === 'cancel-requested') {
        this.state.setTaskStatus(t, 'canceled', { activity: 'canceled' });
      }
    });
  }

  /** GET /may-i-run/{id}. */
  mayIRun(worker: WorkerRecord, taskId: string): MayIRun {
    const pending = worker.status_requested ? { status_requested: worker.status_requested } : {};
    const no = (reason: string): MayIRun => ({ may_keep_running: false, reason, ...pending });
    const task = isId(taskId) ? this.repos.tasks.get(taskId) : undefined;
    if (!task) return no(`unable to find task ${taskId}`);
    if (task.worker_id !== worker.id) return no(`task ${taskId} reassigned to another worker`);
    if (task.status !== 'active') return no(`task ${taskId} in non-runnable status ${task.status}`);
    if (!worker.lazy_status_request && (worker.status_requested === 'asleep' || worker.status_requested === 'shutdown')) {
      return no(`worker status change to ${worker.status_requested} requested`);
    }
    this.repos.write(() => this.repos.tasks.ping(task.id, this.clock.now()));
    return { may_keep_running: true, ...pending };
  }

  /**
   * POST /output-produced: remember the newest image per job, and farm-wide the newest of those.
   * A path counts only for a job the worker works or worked on: its current task's, or (the
   * report can come just after the task's completion) that of the task it had last. A worker that
   * never had a task names nothing that will be shown; it is answered 204 all the same, as
   * Flamenco Worker expects.
   */
  outputProduced(worker: WorkerRecord, paths: string[]): void {
    if (paths.length === 0) throw new UnprocessableError('List of paths may not be empty.');
    const latest = paths[paths.length - 1]!;
    const current = worker.current_task ? this.repos.tasks.get(worker.current_task) : undefined;
    const jobId = current?.worker_id === worker.id ? current.job_id : this.repos.tasks.lastJobOfWorker(worker.id);
    if (!jobId) {
      this.log.info('output produced by a worker that never had a task; ignored', { worker: worker.id });
      return;
    }
    this.repos.write(() => {
      this.repos.jobs.setLastOutput(jobId, latest);
      this.repos.settings.set('last_output', latest);
      this.repos.settings.set('last_output_job', jobId);
    });
    if (paths.length > 1) this.log.debug('output produced; kept the newest', { worker: worker.id, dropped: paths.length - 1 });
  }

}
