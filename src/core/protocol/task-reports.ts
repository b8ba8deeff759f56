// What workers tell us about their tasks: updates, returns, "may I run", produced output.
import type { TaskRecord } from '../../db/tasks-repo';
import type { AtomicWrite } from '../../db/tx';
import type { WorkerRecord } from '../../db/workers-repo';
import { type Clock, isoTime } from '../support/clock';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../support/errors';
import type { FailureHandler } from '../lifecycle/failures';
import { isId } from '../support/ids';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import type { StateMachine } from '../lifecycle/state';
import { isOneOf, isRunningOnWorker, REPORTABLE_TASK_STATUSES } from '../support/statuses';
import { finiteNumber, given, object, optionalString } from '../support/validate';
import { renderedFrames, renderProgress } from '../jobs/progress';
import { logRuns } from './task-log-runs';
import type { TaskLogs } from './task-logs';
import { identifier } from '../names';
import { logTakenAway } from '../lifecycle/run-ends';
import { v3StepCount } from '../jobs/dialects';
import { WindowCounter } from './login-limits';
import { OUTPUT_REPORTS_INTERVAL_MS } from '../support/limits';

export interface TaskUpdate {
  task_status?: (typeof REPORTABLE_TASK_STATUSES)[number];
  activity?: string;
  log?: string;
  task_progress_percentage?: number;
  current_command_idx?: number;
  command_progress_percentage?: number;
  timing?: Record<string, number>;
  /**
   * Steps of the task done (Flamenco 3 workers count steps, not percent): the progress is their
   * share of the steps the task's commands take in that worker's dialect (see dialects.ts).
   */
  steps_completed?: number;
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

/** The update with its steps, if it counts any, as percent of the task's steps. */
function withStepProgress(u: TaskUpdate, task: TaskRecord): TaskUpdate {
  if (u.steps_completed === undefined) return u;
  const total = Math.max(1, v3StepCount(task.commands));
  return { ...u, task_progress_percentage: Math.max(0, Math.min(100, Math.round((u.steps_completed * 100) / total))) };
}

/**
 * Whether applying the update writes its task's row only, in one statement (see TaskReports.applyTo):
 * it reports no status, or `active`, which changes no task's status and which the worker row holds
 * since the hand-out (assignTask). The worker row keeps the status its task last reported
 * otherwise and when; the task row says when the worker last reported anything (last_worker_ping).
 * So a Flamenco 3 worker's start, log chunks and steps, and Worker 2.5's first update, write one row.
 */
function changesOnlyItsTask(u: TaskUpdate): boolean {
  return u.task_status === undefined || u.task_status === 'active';
}

/** The update the route parsed, or its refusal, thrown now. */
function validUpdate(body: TaskUpdate | ValidationError): TaskUpdate {
  if (body instanceof ValidationError) throw body;
  return body;
}

function tailLines(previous: string, log: string): string {
  const lines = (previous ? previous + '\n' : '') + log.replace(/\n$/, '');
  const kept = lines.split('\n').slice(-LOG_TAIL_LINES).join('\n');
  return kept.length > LOG_TAIL_CHARS ? kept.slice(-LOG_TAIL_CHARS) : kept;
}

/**
 * The progress an update of a running task leaves: the worker's own figure, or for a render task
 * (Flamenco Worker 2.5 always says 0) also what Blender's lines in its log show (`fromLog`, read
 * once per update before the transaction: 2 ms for 2 000 lines), never going back within a run.
 */
function reportedProgress(task: TaskRecord, u: TaskUpdate, fromLog: number | undefined): number | undefined {
  if (!renderedFrames(task.commands)) return u.task_progress_percentage;
  return Math.max(task.task_progress, u.task_progress_percentage ?? 0, fromLog ?? 0);
}

/** The progress the update's log shows, for a task that renders frames. */
function progressInLog(task: TaskRecord, u: TaskUpdate): number | undefined {
  const frames = u.log ? renderedFrames(task.commands) : undefined;
  return frames ? renderProgress(frames, u.log!) : undefined;
}

/** A report for a task that no longer runs on its worker, from a worker that sends reports again: a conflict. */
function notRunningConflict(task: TaskRecord): void {
  if (!isRunningOnWorker(task.status)) throw new ConflictError(`Task ${task.id} is no longer running on this worker (it is ${task.status}).`);
}

export interface MayIRun {
  may_keep_running: boolean;
  reason?: string;
  status_requested?: string;
}

export class TaskReports {
  /** Output reports per worker: one per OUTPUT_REPORTS_INTERVAL_MS (each may start a copy of the image). */
  private readonly outputReports: WindowCounter;

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly state: StateMachine,
    private readonly failures: FailureHandler,
    private readonly taskLogs: TaskLogs,
    private readonly log: Logger,
    /** How an update's changes are written: serve's group commit (db/batch.ts). */
    private readonly write: AtomicWrite = repos.write,
    /**
     * How a change of one statement is written: within the group commit but without a savepoint
     * of its own (a statement is atomic by itself): two statements less for an update that only
     * changes its task's row (see changesOnlyItsTask).
     */
    private readonly writeOne: AtomicWrite = write,
  ) {
    this.outputReports = new WindowCounter(clock, 1, OUTPUT_REPORTS_INTERVAL_MS);
  }

  /**
   * The worker's task. `running`: only while it runs it (active or cancel-requested): a worker
   * whose updates may arrive again after the task ended (Flamenco 3's, which sends again what it
   * could not see acknowledged) gets a conflict for them instead of a change.
   */
  private taskOf(worker: WorkerRecord, taskId: string, running = false): TaskRecord {
    const task = isId(taskId) ? this.repos.tasks.get(taskId) : undefined;
    if (!task) throw new NotFoundError(`Task ${taskId} is unknown.`);
    if (task.worker_id !== worker.id) throw new ConflictError(`Task ${taskId} is assigned to another worker.`);
    if (running) notRunningConflict(task);
    return task;
  }

  /**
   * POST /tasks/{id}/update. `body` is the update as the route parsed it, or why it is not one:
   * that refusal (400) comes only after the 404 and 409 the protocol puts first, so that a worker
   * can drop an update for a task that is not its own whatever the update holds. The worker's log
   * lines are written first and the update is applied only once they are on disk. An update whose
   * lines could not be written is refused (UnavailableError) having changed nothing, so the
   * worker's retry is the whole update again. Without log lines the update is applied before this
   * returns.
   *
   * A worker keeps reporting after its task ended (Flamenco Worker sends a last `{"activity": ""}`
   * up to 30 s later): such a report only logs. Its lines go to the run it was assigned, also when
   * the task has left it since (requeued, soft-failed, handed to another worker: answered 409 as
   * before); its status, activity and progress change nothing, so a failure's reason stays.
   * `onlyWhileRunning`: a report for the worker's task that is no longer running is a conflict
   * instead, and writes nothing (see taskOf).
   */
  update(worker: WorkerRecord, taskId: string, body: TaskUpdate | ValidationError, onlyWhileRunning = false): Promise<void> {
    if (!isId(taskId)) throw new NotFoundError(`Task ${taskId} is unknown.`);
    if (body instanceof ValidationError || !body.log) {
      // Nothing to wait for: the task is read once, inside the write that applies the update (a
      // Flamenco 3 worker sends three of its four updates of a task so, a step among them).
      const write = body instanceof ValidationError || changesOnlyItsTask(body) ? this.writeOne : this.write;
      const former = write(() => {
        const task = this.repos.tasks.get(taskId);
        if (!task) throw new NotFoundError(`Task ${taskId} is unknown.`);
        if (task.worker_id !== worker.id) return task;
        if (onlyWhileRunning) notRunningConflict(task);
        this.applyTo(worker, task, withStepProgress(validUpdate(body), task), undefined);
        return undefined;
      });
      return former ? this.formerRunnerReport(worker, former, body) : Promise.resolve();
    }
    const task = this.repos.tasks.get(taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} is unknown.`);
    if (task.worker_id !== worker.id) return this.formerRunnerReport(worker, task, body);
    if (onlyWhileRunning) notRunningConflict(task);
    const u = withStepProgress(body, task);
    const fromLog = progressInLog(task, u);
    // Checked and read again inside the transaction: the task may have moved while the log was written.
    const apply = () => (changesOnlyItsTask(u) ? this.writeOne : this.write)(() => this.applyTo(worker, this.taskOf(worker, taskId, onlyWhileRunning), u, fromLog));
    return this.taskLogs.write(task.job_id, taskId, body.log).then(apply);
  }

  /**
   * A report of a worker that no longer holds the task: its log lines go to its run, if it ran the
   * task; the answer is still the 409 of the protocol (the task is not its task), which Flamenco
   * Worker takes as done.
   */
  private formerRunnerReport(worker: WorkerRecord, task: TaskRecord, body: TaskUpdate | ValidationError): Promise<void> {
    const conflict = new ConflictError(`Task ${task.id} is assigned to another worker.`);
    const ranIt = () => logRuns(this.taskLogs, task.job_id, task.id).some((r) => r.worker?.endsWith(`(${worker.id})`));
    // Answered at once when the log on disk says so; a run's first line may still be on its way.
    if (!ranIt() && !this.taskLogs.writing(task.job_id, task.id)) throw conflict;
    return this.taskLogs.flushed(task.job_id, task.id).then(async () => {
      if (!ranIt()) throw conflict;
      const u = validUpdate(body);
      if (u.log) await this.taskLogs.writeToRunOf(task.job_id, task.id, worker.id, u.log);
      this.log.debug('report of a former runner: logged only', { task: task.id, worker: worker.id });
      throw conflict;
    });
  }

  /** One statement when changesOnlyItsTask(u) (update() then writes it without a savepoint). */
  private applyTo(worker: WorkerRecord, task: TaskRecord, u: TaskUpdate, fromLog: number | undefined): void {
    const now = this.clock.now();
    const log_tail = u.log ? tailLines(task.log_tail, u.log) : undefined;
    if (!isRunningOnWorker(task.status)) {
      this.repos.tasks.recordReport(task.id, { log_tail }, now);
      if (!changesOnlyItsTask(u)) this.repos.workers.recordTaskReport(worker.id, u.task_status, now);
      return;
    }
    this.repos.tasks.recordReport(
      task.id,
      {
        activity: u.activity,
        log_tail,
        task_progress: reportedProgress(task, u, fromLog),
        command_idx: u.current_command_idx,
        command_progress: u.command_progress_percentage,
        metrics: u.timing ? { ...task.metrics, timing: u.timing } : undefined,
      },
      now,
    );
    if (!changesOnlyItsTask(u) && u.task_status) {
      this.repos.workers.recordTaskReport(worker.id, u.task_status, now);
      this.applyStatus(task, worker, u.task_status, u.activity);
    }
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
    // Worker 2.5 ends a run's log with its own lines; a Flamenco 3 worker's log just stops: the
    // manager says how it ended, so that the logs of both generations end the same way.
    if (worker.generation === 'v3') {
      const said = activity ? `: ${activity}` : '';
      void this.taskLogs.append(task.job_id, task.id, `${isoTime(this.clock.now())}: Worker ${identifier(worker)} reported the task ${status}${said}`);
    }
    if (status === 'failed') {
      this.failures.workerFailed(task, worker, activity);
    } else {
      this.state.setTaskStatus(task, status, { activity });
      this.log.debug(`task ${status}`, { task: task.id, job: task.job_id, worker: worker.id });
    }
  }

  /**
   * The task just handed to the worker cannot be given to it after all (its commands cannot be
   * written in its dialect): counted as the worker's failure, so it goes to another worker.
   */
  failedAtHandOut(worker: WorkerRecord, taskId: string, why: string): void {
    this.repos.write(() => {
      const task = this.taskOf(worker, taskId, true);
      this.failures.workerFailed(task, worker, why);
    });
    this.log.warn('task could not be handed out', { task: taskId, worker: worker.id, why });
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
        // A Flamenco 3 worker told to stop sends nothing more: the run's log says how it ended.
        logTakenAway(this.taskLogs, this.clock, t, identifier(worker), 'the task was canceled; the worker was told to stop');
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
    if (!worker.lazy_status_request && worker.status_requested !== '' && worker.status_requested !== 'awake') {
      return no(`worker status change to ${worker.status_requested} requested`);
    }
    this.repos.write(() => this.repos.tasks.ping(task.id, this.clock.now()));
    return { may_keep_running: true, ...pending };
  }

  /**
   * may-i-run for a worker that, told no, kills the task and says nothing more about it (the
   * Flamenco 3 Worker): what Worker 2.5 then asks with /return is done at once, so a cancel
   * completes and a task stopped for a status request goes back to the queue.
   */
  mayIRunElseStopped(worker: WorkerRecord, taskId: string): MayIRun {
    const r = this.mayIRun(worker, taskId);
    if (!r.may_keep_running && isId(taskId) && this.repos.tasks.get(taskId)) this.returnTask(worker, taskId);
    return r;
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
    // More often than that is not kept (the worker is answered as usual): 30 reports of a 60 MiB
    // frame in a burst made serve copy 3.6 GiB.
    if (this.outputReports.blockedFor(worker.id) > 0) {
      this.log.debug('output produced again within the interval; ignored', { worker: worker.id });
      return;
    }
    this.outputReports.add(worker.id);
    const latest = paths[paths.length - 1]!;
    const current = worker.current_task ? this.repos.tasks.get(worker.current_task) : undefined;
    const jobId = current?.worker_id === worker.id ? current.job_id : this.repos.tasks.lastJobOfWorker(worker.id);
    if (!jobId) {
      this.log.info('output produced by a worker that never had a task; ignored', { worker: worker.id });
      return;
    }
    this.outputStored(jobId, latest);
    if (paths.length > 1) this.log.debug('output produced; kept the newest', { worker: worker.id, dropped: paths.length - 1 });
  }

  /** The job of a task whose image the worker sends: a task it runs or ran. */
  uploadTarget(worker: WorkerRecord, taskId: string): string {
    return this.taskOf(worker, taskId).job_id;
  }

  /** The newest image of a job (and of the farm) is the one reported as `reported` now. */
  outputStored(jobId: string, reported: string): void {
    this.repos.write(() => {
      this.repos.jobs.setLastOutput(jobId, reported);
      this.repos.settings.set('last_output', reported);
      // Whose output folders the farm-wide image is judged by (last-rendered.ts).
      this.repos.settings.set('last_output_job', jobId);
    });
  }
}
