// SQL for jobs and their per-status task counts.
import type { DB } from './open';
import { StatementCache } from './statements';

export interface JobRecord {
  seq: number;
  id: string;
  name: string;
  job_type: string;
  status: string;
  priority: number;
  settings: Record<string, unknown>;
  metadata: Record<string, string>;
  tag: string | null;
  activity: string;
  created: number;
  updated: number;
  last_output: string | null;
}

/** A job as the state machine sees it. */
export type JobStatusRecord = Pick<JobRecord, 'id' | 'status'>;

interface Row extends Omit<JobRecord, 'settings' | 'metadata'> {
  settings: string;
  metadata: string;
}

function fromRow(r: Row): JobRecord {
  return { ...r, settings: JSON.parse(r.settings) as Record<string, unknown>, metadata: JSON.parse(r.metadata) as Record<string, string> };
}

const UPDATABLE = new Set(['status', 'priority', 'activity', 'updated', 'last_output']);

export class JobsRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  /** Inserts a job and returns its seq (creation order). */
  insert(j: Omit<JobRecord, 'seq'>): number {
    const info = this.s
      .get(
        `INSERT INTO jobs (id, name, job_type, status, priority, settings, metadata, tag, activity, created, updated, last_output)
         VALUES (@id, @name, @job_type, @status, @priority, @settings, @metadata, @tag, @activity, @created, @updated, @last_output)`,
      )
      .run({ ...j, settings: JSON.stringify(j.settings), metadata: JSON.stringify(j.metadata) });
    return Number(info.lastInsertRowid);
  }

  get(id: string): JobRecord | undefined {
    const r = this.s.get('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /** Just the id and status: what the state machine decides on, without parsing settings. */
  status(id: string): JobStatusRecord | undefined {
    return this.s.get('SELECT id, status FROM jobs WHERE id = ?').get(id) as JobStatusRecord | undefined;
  }

  jobType(id: string): string | undefined {
    return this.s.get('SELECT job_type FROM jobs WHERE id = ?').pluck().get(id) as string | undefined;
  }

  list(): JobRecord[] {
    return (this.s.get('SELECT * FROM jobs ORDER BY seq').all() as Row[]).map(fromRow);
  }

  update(id: string, patch: Partial<Pick<JobRecord, 'status' | 'priority' | 'activity' | 'updated' | 'last_output'>>): void {
    this.s.update('jobs', id, patch, UPDATABLE);
  }

  listByStatus(status: string): JobRecord[] {
    return (this.s.get('SELECT * FROM jobs WHERE status = ? ORDER BY seq').all(status) as Row[]).map(fromRow);
  }

  /** Removes a job with its tasks, dependencies, failure lists, blocklist entries and counts. */
  delete(id: string): void {
    this.s.get('DELETE FROM task_parents WHERE task_id IN (SELECT id FROM tasks WHERE job_id = ?)').run(id);
    this.s.get('DELETE FROM task_failures WHERE task_id IN (SELECT id FROM tasks WHERE job_id = ?)').run(id);
    this.s.get('DELETE FROM blocklist WHERE job_id = ?').run(id);
    this.s.get('DELETE FROM job_task_counts WHERE job_id = ?').run(id);
    this.s.get('DELETE FROM tasks WHERE job_id = ?').run(id);
    this.s.get('DELETE FROM jobs WHERE id = ?').run(id);
  }

  // --- task counts -----------------------------------------------------------------------------

  addCount(jobId: string, status: string, delta: number): void {
    this.s
      .get(
        `INSERT INTO job_task_counts (job_id, status, n) VALUES (?, ?, ?)
         ON CONFLICT (job_id, status) DO UPDATE SET n = n + excluded.n`,
      )
      .run(jobId, status, delta);
  }

  counts(jobId: string): Record<string, number> {
    const rows = this.s.get('SELECT status, n FROM job_task_counts WHERE job_id = ? AND n != 0').all(jobId) as { status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  allCounts(): { job_id: string; status: string; n: number }[] {
    return this.s.get('SELECT job_id, status, n FROM job_task_counts WHERE n != 0').all() as never;
  }

  /** Recounts a job's tasks after a bulk status change. */
  recount(jobId: string): void {
    this.s.get('DELETE FROM job_task_counts WHERE job_id = ?').run(jobId);
    this.s
      .get('INSERT INTO job_task_counts (job_id, status, n) SELECT job_id, status, COUNT(*) FROM tasks WHERE job_id = ? GROUP BY status')
      .run(jobId);
  }
}
