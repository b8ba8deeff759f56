// SQL for job_task_types: each job's task types, with the commands of one of its tasks of that
// type, written at submission (a job's task types never change afterwards). Tasks of one type
// come from one compiler step and use the same placeholders, so one of them stands for all.
import type { DB } from './open';
import { StatementCache } from './statements';
import type { Command } from './tasks-repo';

export class JobTaskTypesRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  /** Records a task type of a job; a type recorded already keeps its first commands. */
  insert(jobId: string, taskType: string, commands: Command[]): void {
    this.s.get('INSERT OR IGNORE INTO job_task_types (job_id, task_type, commands) VALUES (?, ?, ?)').run(jobId, taskType, JSON.stringify(commands));
  }

  forJob(jobId: string): { task_type: string; commands: Command[] }[] {
    const rows = this.s.get('SELECT task_type, commands FROM job_task_types WHERE job_id = ? ORDER BY task_type').all(jobId) as { task_type: string; commands: string }[];
    return rows.map((r) => ({ task_type: r.task_type, commands: JSON.parse(r.commands) as Command[] }));
  }

  deleteForJob(jobId: string): void {
    this.s.get('DELETE FROM job_task_types WHERE job_id = ?').run(jobId);
  }
}
