// SQL for the blocklist: workers that may no longer run a task type of a job.
import type { DB } from './open';
import { StatementCache } from './statements';

export interface BlockRecord {
  job_id: string;
  task_type: string;
  worker_id: string;
  created: number;
}

export class BlocklistRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  add(jobId: string, taskType: string, workerId: string, now: number): void {
    this.s.get('INSERT OR IGNORE INTO blocklist (job_id, task_type, worker_id, created) VALUES (?, ?, ?, ?)').run(jobId, taskType, workerId, now);
  }

  /** Removes a job's entries, optionally only those of one worker and/or task type; returns how many. */
  clear(jobId: string, filter: { workerId?: string; taskType?: string } = {}): number {
    return this.s
      .get('DELETE FROM blocklist WHERE job_id = @jobId AND (@workerId IS NULL OR worker_id = @workerId) AND (@taskType IS NULL OR task_type = @taskType)')
      .run({ jobId, workerId: filter.workerId ?? null, taskType: filter.taskType ?? null }).changes;
  }

  deleteForWorker(workerId: string): void {
    this.s.get('DELETE FROM blocklist WHERE worker_id = ?').run(workerId);
  }

  list(jobId?: string): BlockRecord[] {
    if (jobId) return this.s.get('SELECT * FROM blocklist WHERE job_id = ? ORDER BY created').all(jobId) as BlockRecord[];
    return this.s.get('SELECT * FROM blocklist ORDER BY created').all() as BlockRecord[];
  }

  /** The first `limit` entries (of a job, or all) by creation, and how many there are in all. */
  listed(jobId: string | undefined, limit: number): { entries: BlockRecord[]; total: number } {
    const entries = this.s
      .get('SELECT * FROM blocklist WHERE (@jobId IS NULL OR job_id = @jobId) ORDER BY created LIMIT @limit')
      .all({ jobId: jobId ?? null, limit }) as BlockRecord[];
    const total = this.s
      .get('SELECT COUNT(*) FROM blocklist WHERE (@jobId IS NULL OR job_id = @jobId)')
      .pluck()
      .get({ jobId: jobId ?? null }) as number;
    return { entries, total };
  }
}
