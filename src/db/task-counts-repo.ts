// SQL for job_task_counts: per-job task counts per status, kept in step with every task status
// change so that job decisions and queue-status never count a large job's tasks.
import type { TaskStatus } from '../core/support/statuses';
import type { DB } from './open';
import { StatementCache } from './statements';

export type TaskCounts = Partial<Record<TaskStatus, number>>;

export class TaskCountsRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  add(jobId: string, status: TaskStatus, delta: number): void {
    this.s
      .get(
        `INSERT INTO job_task_counts (job_id, status, n) VALUES (?, ?, ?)
         ON CONFLICT (job_id, status) DO UPDATE SET n = n + excluded.n`,
      )
      .run(jobId, status, delta);
  }

  forJob(jobId: string): TaskCounts {
    const rows = this.s.get('SELECT status, n FROM job_task_counts WHERE job_id = ? AND n != 0').all(jobId) as { status: TaskStatus; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  all(): { job_id: string; status: TaskStatus; n: number }[] {
    return this.s.get('SELECT job_id, status, n FROM job_task_counts WHERE n != 0').all() as { job_id: string; status: TaskStatus; n: number }[];
  }

  /** Recounts a job's tasks after a bulk status change. */
  recount(jobId: string): void {
    this.deleteForJob(jobId);
    this.s.get('INSERT INTO job_task_counts (job_id, status, n) SELECT job_id, status, COUNT(*) FROM tasks WHERE job_id = ? GROUP BY status').run(jobId);
  }

  deleteForJob(jobId: string): void {
    this.s.get('DELETE FROM job_task_counts WHERE job_id = ?').run(jobId);
  }
}
