// What a supervisor does to a job: cancel, pause, resume, change priority, delete. Each action
// checks what is legal first, then moves statuses through the state machine in one transaction.
import { ConflictError, NotFoundError } from '../support/errors';
import { integer } from '../support/validate';
import { isId } from '../support/ids';
import type { JobRecord } from '../../db/jobs-repo';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { allowedJobActions, type JobAction, type StateMachine } from './state';
import type { TaskLogs } from '../protocol/task-logs';

export class JobActions {
  constructor(
    private readonly repos: Repos,
    private readonly state: StateMachine,
    private readonly logs: TaskLogs,
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
    const c = this.repos.taskCounts.forJob(jobId);
    return (c.active ?? 0) + (c['cancel-requested'] ?? 0);
  }

  private allows(job: JobRecord, action: JobAction): boolean {
    return allowedJobActions(job.status, this.repos.taskCounts.forJob(job.id)).includes(action);
  }

  cancel(jobId: string): JobRecord {
    return this.tx(jobId, (job) => {
      if (!this.allows(job, 'cancel')) {
        throw new ConflictError(`job ${jobId} is ${job.status}; only a queued, active or paused job can be canceled`);
      }
      this.state.setJobTasksStatus(jobId, ['queued', 'soft-failed', 'paused'], 'canceled', false);
      this.state.setJobTasksStatus(jobId, ['active'], 'cancel-requested', false);
      this.state.setJobStatus(job, this.running(jobId) > 0 ? 'cancel-requested' : 'canceled', 'canceled by an admin');
      this.log.info('job canceled', { job: jobId, status: job.status });
      return job;
    });
  }

  pause(jobId: string): JobRecord {
    return this.tx(jobId, (job) => {
      if (!this.allows(job, 'pause')) {
        throw new ConflictError(`job ${jobId} is ${job.status}; only a queued or active job can be paused`);
      }
      this.state.setJobTasksStatus(jobId, ['queued', 'soft-failed'], 'paused', false);
      this.state.setJobStatus(job, this.running(jobId) > 0 ? 'pause-requested' : 'paused', 'paused by an admin');
      this.log.info('job paused', { job: jobId, status: job.status });
      return job;
    });
  }

  resume(jobId: string): JobRecord {
    return this.tx(jobId, (job) => {
      if (!this.allows(job, 'resume')) {
        throw new ConflictError(`job ${jobId} is ${job.status}; only a paused job can be resumed`);
      }
      this.state.setJobTasksStatus(jobId, ['paused'], 'queued', false);
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
    this.logs.removeJob(jobId);
  }
}
