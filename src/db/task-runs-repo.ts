// SQL for task_runs: one row per hand-out of a task, ended when the task stops running.
import type { TaskStatus } from '../core/support/statuses';
import type { DB } from './open';
import { StatementCache } from './statements';

export interface TaskRunRecord {
  id: number;
  task_id: string;
  job_id: string;
  worker_id: string;
  worker_name: string;
  started: number;
  ended: number | null;
  /** The status the run ended in; null while it runs. */
  outcome: TaskStatus | null;
  activity: string;
}

/** What a job's runs say about its pace: its completed runs, and when its first run started. */
export interface JobPace {
  completed_runs: number;
  completed_ms: number;
  first_started: number | null;
  last_ended: number | null;
}

export class TaskRunsRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  start(taskId: string, jobId: string, workerId: string, workerName: string, now: number): void {
    this.s.get('INSERT INTO task_runs (task_id, job_id, worker_id, worker_name, started) VALUES (?, ?, ?, ?, ?)').run(taskId, jobId, workerId, workerName, now);
  }

  /** Ends the task's open run with its new status and the task's activity as it stands now. */
  end(taskId: string, outcome: TaskStatus, now: number): void {
    this.s
      .get(
        `UPDATE task_runs SET ended = @now, outcome = @outcome,
           activity = coalesce((SELECT activity FROM tasks WHERE id = @taskId), '')
         WHERE task_id = @taskId AND ended IS NULL`,
      )
      .run({ taskId, outcome, now });
  }

  /** A task's runs, oldest first. */
  forTask(taskId: string): TaskRunRecord[] {
    return this.s.get('SELECT * FROM task_runs WHERE task_id = ? ORDER BY id').all(taskId) as TaskRunRecord[];
  }

  /** The latest run of each of these tasks (a page of a job's tasks). */
  latestFor(taskIds: readonly string[]): Map<string, TaskRunRecord> {
    const out = new Map<string, TaskRunRecord>();
    const stmt = this.s.get('SELECT * FROM task_runs WHERE task_id = ? ORDER BY id DESC LIMIT 1');
    for (const id of taskIds) {
      const r = stmt.get(id) as TaskRunRecord | undefined;
      if (r) out.set(id, r);
    }
    return out;
  }

  /** The runs still open of a job (its tasks running now). */
  openForJob(jobId: string): TaskRunRecord[] {
    return this.s.get('SELECT * FROM task_runs WHERE job_id = ? AND outcome IS NULL').all(jobId) as TaskRunRecord[];
  }

  /**
   * When the job's first run started and its last one ended; with `completed`, also its completed
   * runs and their total duration (read from task_runs_job_outcome alone, one entry per run).
   */
  pace(jobId: string, completed: boolean): JobPace {
    const first = this.s.get('SELECT min(started) FROM task_runs WHERE job_id = ?').pluck().get(jobId) as number | null;
    const last = this.s.get('SELECT max(ended) FROM task_runs WHERE job_id = ?').pluck().get(jobId) as number | null;
    if (!completed || first === null) return { completed_runs: 0, completed_ms: 0, first_started: first, last_ended: last };
    const done = this.s.get("SELECT count(*) AS n, coalesce(sum(ended - started), 0) AS ms FROM task_runs WHERE job_id = ? AND outcome = 'completed'").get(jobId) as {
      n: number;
      ms: number;
    };
    return { completed_runs: done.n, completed_ms: done.ms, first_started: first, last_ended: last };
  }

  /**
   * How many workers ran the job's tasks lately: those whose runs of it started at most `window`
   * ms before its newest run started (read from task_runs_job_started, the recent runs only).
   */
  recentWorkers(jobId: string, window: number): number {
    const newest = this.s.get('SELECT max(started) FROM task_runs WHERE job_id = ?').pluck().get(jobId) as number | null;
    if (newest === null) return 0;
    return this.s
      .get('SELECT count(DISTINCT worker_id) FROM task_runs WHERE job_id = ? AND started >= ?')
      .pluck()
      .get(jobId, newest - window) as number;
  }

  /** The job's first run that ended failed or soft-failed: its first failure reason. */
  firstFailure(jobId: string): TaskRunRecord | undefined {
    return this.s.get("SELECT * FROM task_runs WHERE job_id = ? AND outcome IN ('failed', 'soft-failed') ORDER BY ended LIMIT 1").get(jobId) as TaskRunRecord | undefined;
  }

  deleteForJob(jobId: string): void {
    this.s.get('DELETE FROM task_runs WHERE job_id = ?').run(jobId);
  }
}
