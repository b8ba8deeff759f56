// The blocklist: which workers may no longer run which task types of a job.
import { isoTime } from '../support/clock';
import { NotFoundError, ValidationError } from '../support/errors';
import { isId } from '../support/ids';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import type { BlocklistEntry } from '../api-types';

export type { BlocklistEntry } from '../api-types';

export class Blocklist {
  constructor(
    private readonly repos: Repos,
    private readonly log: Logger,
  ) {}

  list(jobId?: string): BlocklistEntry[] {
    return this.listed(jobId).blocklist;
  }

  /** At most `limit` entries (all without one), and how many were left out. */
  listed(jobId?: string, limit?: number): { blocklist: BlocklistEntry[]; omitted: number } {
    if (jobId !== undefined && (!isId(jobId) || !this.repos.jobs.get(jobId))) throw new NotFoundError(`job ${jobId} not found`);
    const { entries, total } = limit === undefined ? { entries: this.repos.blocklist.list(jobId), total: undefined } : this.repos.blocklist.listed(jobId, limit);
    const blocklist = entries.map((b) => ({
      job: b.job_id,
      task_type: b.task_type,
      worker: b.worker_id,
      worker_nickname: this.repos.workers.get(b.worker_id)?.nickname ?? null,
      created: isoTime(b.created),
    }));
    return { blocklist, omitted: total === undefined ? 0 : total - entries.length };
  }

  /** Removes the entries of a job, optionally only for one worker and/or task type. */
  clear(filter: { job: string; worker?: string; task_type?: string }): number {
    if (!filter.job) throw new ValidationError('job: required');
    if (!isId(filter.job) || !this.repos.jobs.get(filter.job)) throw new NotFoundError(`job ${filter.job} not found`);
    const n = this.repos.blocklist.clear(filter.job, { workerId: filter.worker, taskType: filter.task_type });
    this.log.info('blocklist cleared', { job: filter.job, worker: filter.worker, task_type: filter.task_type, removed: n });
    return n;
  }
}
