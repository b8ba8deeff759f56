// SQL for task_failures: which workers failed which task (soft failure and blocklisting count them).
import type { DB } from './open';
import { StatementCache } from './statements';

export interface FailureRecord {
  worker_id: string;
  identifier: string;
}

export class TaskFailuresRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  add(taskId: string, workerId: string, identifier: string, now: number): void {
    this.s.get('INSERT OR IGNORE INTO task_failures (task_id, worker_id, identifier, created) VALUES (?, ?, ?, ?)').run(taskId, workerId, identifier, now);
  }

  list(taskId: string): FailureRecord[] {
    return this.s.get('SELECT worker_id, identifier FROM task_failures WHERE task_id = +? ORDER BY created, worker_id').all(taskId) as FailureRecord[];
  }

  clear(taskId: string): void {
    this.s.get('DELETE FROM task_failures WHERE task_id = ?').run(taskId);
  }

  /** How many tasks of (job, type) this worker has failed. */
  countForWorker(jobId: string, taskType: string, workerId: string): number {
    return this.s
      .get(
        `SELECT COUNT(*) FROM task_failures f JOIN tasks t ON t.id = f.task_id
         WHERE f.worker_id = ? AND t.job_id = ? AND t.task_type = ?`,
      )
      .pluck()
      .get(workerId, jobId, taskType) as number;
  }

  deleteForJob(jobId: string): void {
    this.s.get('DELETE FROM task_failures WHERE task_id IN (SELECT id FROM tasks WHERE job_id = ?)').run(jobId);
  }
}
