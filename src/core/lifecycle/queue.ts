// What an admin reads of the queue and does to it: queue status, requeue.
import type { Clock } from '../support/clock';
import { isoTime } from '../support/clock';
import { ConflictError, NotFoundError, ValidationError } from '../support/errors';
import { isId } from '../support/ids';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { allowedJobActions, type StateMachine } from './state';
import { PAUSED_JOB_STATUSES, TASK_STATUSES, type TaskStatus, WORKER_STATUSES, type WorkerStatus } from '../support/statuses';
import { allTaskCounts, jobHeading, type JobView, zeroCounts } from '../read-models';
import { identifier } from '../names';
import type { TaskLogFiles, WorkerControl } from './needs';
import type { TaskRecord } from '../../db/tasks-repo';
import { logTakenAway } from './run-ends';
import type { JobWarnings, StuckWork } from '../jobs/stuck';
import { ALL, isCurrent, type Listing, newest } from '../listing';
import { counted } from '../support/plural';

/** A job as queue-status shows it. */
export type JobSummary = Pick<JobView, 'id' | 'name' | 'job_type' | 'status' | 'priority' | 'created' | 'tasks'>;

/** Worker counts by status; workers that registered but never signed on count as `registered`. */
export type WorkerCounts = Record<Exclude<WorkerStatus, ''> | 'registered', number>;

export interface QueueStatus {
  tasks: Record<TaskStatus, number>;
  jobs: JobSummary[];
  workers: WorkerCounts;
  /** Waiting work no registered worker will pick up, per job (see jobs/stuck.ts). */
  warnings: JobWarnings[];
}

/** Statuses a requeue moves back to queued: all but a task still stopping on its worker. */
const REQUEUEABLE: readonly TaskStatus[] = TASK_STATUSES.filter((s) => s !== 'cancel-requested');

export class QueueService {
  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly state: StateMachine,
    private readonly workers: WorkerControl,
    private readonly log: Logger,
    /** Where a requeued run's log says why it ended (see run-ends.ts). */
    private readonly taskLogs?: TaskLogFiles,
    private readonly stuck?: StuckWork,
  ) {}

  /** Writes "requeued by an admin" into the logs of the tasks' runs that were still running. */
  private logRequeued(tasks: TaskRecord[]): void {
    for (const t of tasks) {
      if (t.status !== 'active' || !t.worker_id) continue;
      const w = this.repos.workers.get(t.worker_id);
      logTakenAway(this.taskLogs, this.clock, t, w ? identifier(w) : t.worker_id, 'requeued by an admin');
    }
  }

  status(jobId?: string): QueueStatus {
    return this.listed(jobId, ALL).status;
  }

  /**
   * The queue status with the jobs a listing shows (see core/listing.ts); the task totals count
   * every job. `omitted`: jobs left out by the limit.
   */
  listed(jobId: string | undefined, listing: Listing): { status: QueueStatus; omitted: number } {
    const { jobs, workers } = this.repos;
    let list = jobs.listings();
    if (jobId !== undefined) {
      list = list.filter((j) => j.id === jobId);
      if (list.length === 0) throw new NotFoundError(`job ${jobId} not found`);
    }
    const now = this.clock.now();
    const all = allTaskCounts(this.repos);
    const perJob = new Map(list.map((j) => [j.id, all.get(j.id) ?? zeroCounts(TASK_STATUSES)]));
    const totals = zeroCounts(TASK_STATUSES);
    for (const counts of perJob.values()) for (const s of TASK_STATUSES) totals[s] += counts[s];
    const { '': registered, ...signedOn } = { ...zeroCounts(WORKER_STATUSES), ...workers.countByStatus() };
    if (listing.scope === 'current') list = list.filter((j) => isCurrent(j, now));
    const { items, omitted } = newest(list, listing.limit);
    const status = {
      tasks: totals,
      jobs: items.map((j) => ({ ...jobHeading(j), tasks: perJob.get(j.id)! })),
      workers: { registered, ...signedOn },
      warnings: this.stuck?.forQueue(jobId) ?? [],
    };
    return { status, omitted };
  }

  /** Requeues a whole job, or only its failed tasks. Returns how many tasks were requeued. */
  requeueJob(jobId: string, failedOnly: boolean): number {
    if (!isId(jobId)) throw new NotFoundError(`job ${jobId} not found`);
    return this.repos.write(() => {
      const job = this.repos.jobs.get(jobId);
      if (!job) throw new NotFoundError(`job ${jobId} not found`);
      // Tasks still stopping on a worker (a failed job's) cannot be requeued yet, and left behind
      // they would end canceled inside the requeued job, which then could never complete.
      const counts = this.repos.taskCounts.forJob(jobId);
      if (!allowedJobActions(job.status, counts).includes('requeue')) {
        if (job.status === 'cancel-requested') throw new ConflictError(`job ${jobId} is being canceled; wait until it is canceled`);
        throw new ConflictError(`job ${jobId} has ${counted(counts['cancel-requested'] ?? 0, 'task')} still stopping on workers; requeue it once they stopped`);
      }
      // A failed job canceled its other tasks; requeueing its failures brings those back too.
      const failed: TaskStatus[] = job.status === 'failed' ? ['failed', 'soft-failed', 'canceled'] : ['failed', 'soft-failed'];
      const from = failedOnly ? failed : [...REQUEUEABLE];
      const now = this.clock.now();
      if (!failedOnly) this.logRequeued(this.repos.tasks.forJobStatus(jobId, 'active'));
      const ids = this.state.setJobTasksStatus(jobId, from, 'queued', { clearWorker: true });
      // A paused job is queued again below; its paused tasks go with it, or nothing would run them.
      if (failedOnly && ids.length > 0 && PAUSED_JOB_STATUSES.includes(job.status)) {
        this.state.setJobTasksStatus(jobId, ['paused'], 'queued');
      }
      const all = failedOnly ? ids : this.repos.tasks.idsForJob(jobId, ['queued']);
      for (const id of all) this.repos.taskFailures.clear(id);
      this.repos.blocklist.clear(jobId);
      if (ids.length > 0 || !failedOnly) {
        if (job.status !== 'queued') this.state.setJobStatus(job, 'queued', `requeued at ${isoTime(now)}`);
        this.state.settleJob(jobId);
      }
      this.log.info('job requeued', { job: jobId, tasks: ids.length, failed_only: failedOnly });
      return ids.length;
    });
  }

  /** Requeues single tasks; all ids are checked before anything changes. */
  requeueTasks(taskIds: string[]): number {
    if (taskIds.length === 0) throw new ValidationError('no task ids given');
    return this.repos.write(() => {
      const tasks = taskIds.map((id) => {
        const t = isId(id) ? this.repos.tasks.get(id) : undefined;
        if (!t) throw new NotFoundError(`task ${id} not found`);
        if (t.status === 'cancel-requested') throw new ConflictError(`task ${id} is being canceled; it cannot be requeued now`);
        const jobStatus = this.repos.jobs.status(t.job_id)?.status;
        if (jobStatus === 'cancel-requested') throw new ConflictError(`task ${id} belongs to job ${t.job_id}, which is being canceled; requeue it once the job is canceled`);
        return t;
      });
      let n = 0;
      for (const checked of tasks) {
        // Re-read: requeueing an earlier task may have moved this one with its job.
        const t = this.repos.tasks.get(checked.id)!;
        const job = this.repos.jobs.status(t.job_id)!;
        // The job becomes runnable first, or the task would follow the job straight back out.
        if (['completed', 'failed', 'canceled'].includes(job.status)) this.state.setJobStatus(job, 'queued', 'tasks requeued');
        if (t.status !== 'queued') {
          this.logRequeued([t]);
          this.state.setTaskStatus(t, 'queued', { clearWorker: true, activity: 'requeued by an admin' });
          n++;
        }
        this.repos.taskFailures.clear(t.id);
        this.repos.blocklist.clear(t.job_id, { taskType: t.task_type });
      }
      this.log.info('tasks requeued', { tasks: n });
      return n;
    });
  }

  /** Requeues the tasks a worker is running. */
  requeueWorker(workerId: string): number {
    return this.repos.write(() => {
      const w = isId(workerId) ? this.repos.workers.get(workerId) : undefined;
      if (!w) throw new NotFoundError(`worker ${workerId} not found`);
      return this.workers.releaseTasks(w, 'requeued by an admin');
    });
  }
}
