// What a supervisor does to a job: cancel, pause, resume, change priority, delete. Each action
// checks what is legal first, then moves statuses through the state machine in one transaction.
import { ConflictError, NotFoundError } from '../support/errors';
import { integer } from '../support/validate';
import { READY_TASK_STATUSES } from '../support/statuses';
import { isId } from '../support/ids';
import type { JobRecord } from '../../db/jobs-repo';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { type JobAction, jobActionRefusal, type StateMachine } from './state';
import type { TaskLogFiles } from './needs';

export class JobActions {
  constructor(
    private readonly repos: Repos,
    private readonly state: StateMachine,
    private readonly taskLogs: TaskLogFiles,
    private readonly log: Logger,
  ) {}

  private tx<T>(jobId: string, fn: (job: JobRecord) => T): T {
    if (!isId(jobId)) throw new NotFoundError(`job ${jobId} not found`);
    return this.repos.write(() => {
      const job = this.repos.jobs.get(jobId);
      if (!job) throw new NotFoundError(`job ${jobId} not found`);
      return fn(job);
    });
  }

  private running(jobId: string): number {
    return this.state.runningTasks(jobId);
  }

  /** Refuses `action` on a job whose status does not allow it (the state machine's table). */
  private allow(action: JobAction, job: JobRecord): void {
    const refusal = jobActionRefusal(action, job.status);
    if (refusal) throw new ConflictError(`job ${job.id} is ${job.status}; ${refusal}`);
  }

  cancel(jobId: string): JobRecord {
    return this.tx(jobId, (job) => {
      this.allow('cancel', job);
      this.state.stopTasks(jobId, 'Canceled: the job was canceled by an admin');
      this.state.setJobStatus(job, this.running(jobId) > 0 ? 'cancel-requested' : 'canceled', 'canceled by an admin');
      this.log.info('job canceled', { job: jobId, status: job.status });
      return job;
    });
  }

  pause(jobId: string): JobRecord {
    return this.tx(jobId, (job) => {
      this.allow('pause', job);
      this.state.setJobTasksStatus(jobId, READY_TASK_STATUSES, 'paused');
      this.state.setJobStatus(job, this.running(jobId) > 0 ? 'pause-requested' : 'paused', 'paused by an admin');
      this.log.info('job paused', { job: jobId, status: job.status });
      return job;
    });
  }

  resume(jobId: string): JobRecord {
    return this.tx(jobId, (job) => {
      this.allow('resume', job);
      this.state.setJobTasksStatus(jobId, ['paused'], 'queued');
      this.state.setJobStatus(job, this.running(jobId) > 0 ? 'active' : 'queued', 'resumed by an admin');
      this.state.settleJob(jobId);
      this.log.info('job resumed', { job: jobId });
      return this.repos.jobs.get(jobId)!;
    });
  }

  setPriority(jobId: string, value: unknown): JobRecord {
    const priority = integer(value, 'priority', 0, 100);
    return this.tx(jobId, (job) => {
      this.repos.jobs.setPriority(jobId, priority);
      this.repos.tasks.setJobPriority(jobId, priority);
      this.log.info('job priority changed', { job: jobId, from: job.priority, to: priority });
      return { ...job, priority };
    });
  }

  delete(jobId: string): void {
    this.tx(jobId, (job) => {
      if (this.running(jobId) > 0) {
        // A canceled or failed job's workers are already being told to stop: there is nothing to cancel.
        if (job.status === 'cancel-requested' || job.status === 'failed') {
          const being = job.status === 'failed' ? 'has failed' : 'is being canceled';
          throw new ConflictError(`job ${jobId} ${being}; wait until its running tasks have stopped before deleting it`);
        }
        throw new ConflictError(`job ${jobId} has running tasks; cancel it and wait until it is canceled before deleting it`);
      }
      const { taskParents, taskFailures, taskRuns, blocklist, taskCounts, jobTaskTypes, tasks, jobs } = this.repos;
      taskParents.deleteForJob(jobId);
      taskFailures.deleteForJob(jobId);
      taskRuns.deleteForJob(jobId);
      blocklist.clear(jobId);
      taskCounts.deleteForJob(jobId);
      jobTaskTypes.deleteForJob(jobId);
      tasks.deleteForJob(jobId);
      jobs.delete(jobId);
      this.log.info('job deleted', { job: jobId, name: job.name });
    });
    this.taskLogs.removeJob(jobId);
  }
}
