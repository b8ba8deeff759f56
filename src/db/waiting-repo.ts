// SQL for what waits in the queue, as the stuck-work warnings look at it (core/jobs/stuck.ts).
import { WAITING_TASK_STATUSES } from '../core/support/statuses';
import type { DB } from './open';
import { sqlList, StatementCache } from './statements';

const WAITING = sqlList(WAITING_TASK_STATUSES);

export class WaitingRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  /** Whether some task of this type in the job waits for a worker. */
  waits(jobId: string, taskType: string): boolean {
    return this.s.get(`SELECT 1 FROM tasks WHERE job_id = ? AND status IN ${WAITING} AND task_type = ? LIMIT 1`).get(jobId, taskType) !== undefined;
  }

  /** Ids of the jobs with waiting tasks, oldest first. */
  jobsWithWaitingTasks(): string[] {
    return this.s
      .get(`SELECT j.id FROM jobs j WHERE EXISTS (SELECT 1 FROM job_task_counts c WHERE c.job_id = j.id AND c.n > 0 AND c.status IN ${WAITING}) ORDER BY j.seq`)
      .pluck()
      .all() as string[];
  }
}
