// SQL for task_parents: which tasks of a job wait for which.
import type { DB } from './open';
import { StatementCache } from './statements';

export class TaskParentsRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  insert(taskId: string, parentId: string): void {
    this.s.get('INSERT INTO task_parents (task_id, parent_id) VALUES (?, ?)').run(taskId, parentId);
  }

  parents(taskId: string): string[] {
    return this.s.get('SELECT parent_id FROM task_parents WHERE task_id = ?').pluck().all(taskId) as string[];
  }

  hasChildren(taskId: string): boolean {
    return this.s.get('SELECT 1 FROM task_parents WHERE parent_id = ? LIMIT 1').get(taskId) !== undefined;
  }

  deleteForJob(jobId: string): void {
    this.s.get('DELETE FROM task_parents WHERE task_id IN (SELECT id FROM tasks WHERE job_id = ?)').run(jobId);
  }
}
