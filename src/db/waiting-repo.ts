// SQL for what waits in the queue, as the stuck-work warnings look at it (core/jobs/stuck.ts).
import type { Command } from './tasks-repo';
import type { DB } from './open';
import { StatementCache } from './statements';

/** Task statuses that wait for a worker to pick them up. */
const WAITING = "('queued', 'soft-failed', 'paused')";

export class WaitingRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  /**
   * One task per task type of the job, whatever its status: its type and commands. Tasks of one
   * type come from one compiler step and use the same placeholders, so one of them stands for all;
   * a job's task types are fixed when it is submitted.
   */
  taskTypes(jobId: string): { task_type: string; commands: Command[] }[] {
    const rows = this.s
      .get('SELECT task_type, commands FROM tasks WHERE job_id = ? GROUP BY task_type ORDER BY task_type')
      .all(jobId) as { task_type: string; commands: string }[];
    return rows.map((r) => ({ task_type: r.task_type, commands: JSON.parse(r.commands) as Command[] }));
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
