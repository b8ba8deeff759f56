// SQL for the workers table.
import type { DB } from './open';
import { StatementCache } from './statements';

export interface WorkerRecord {
  id: string;
  secret_hash: string;
  nickname: string;
  address: string;
  platform: string;
  software: string;
  supported_task_types: string[];
  tags: string[];
  status: string;
  status_requested: string;
  lazy_status_request: boolean;
  current_task: string | null;
  current_task_status: string | null;
  current_task_updated: number | null;
  created: number;
  last_seen: number;
}

type WorkerPatch = Partial<Omit<WorkerRecord, 'id' | 'created' | 'supported_task_types' | 'tags'>> & {
  supported_task_types?: string[];
  tags?: string[];
};

const UPDATABLE = new Set([
  'nickname', 'address', 'platform', 'software', 'supported_task_types', 'tags', 'status',
  'status_requested', 'lazy_status_request', 'current_task', 'current_task_status',
  'current_task_updated', 'last_seen', 'secret_hash',
]);

interface Row extends Omit<WorkerRecord, 'supported_task_types' | 'tags' | 'lazy_status_request'> {
  supported_task_types: string;
  tags: string;
  lazy_status_request: number;
}

function fromRow(r: Row): WorkerRecord {
  return {
    ...r,
    supported_task_types: JSON.parse(r.supported_task_types) as string[],
    tags: JSON.parse(r.tags) as string[],
    lazy_status_request: r.lazy_status_request !== 0,
  };
}

export class WorkersRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  insert(w: WorkerRecord): void {
    this.s
      .get(
        `INSERT INTO workers (id, secret_hash, nickname, address, platform, software, supported_task_types, tags,
           status, status_requested, lazy_status_request, current_task, created, last_seen)
         VALUES (@id, @secret_hash, @nickname, @address, @platform, @software, @supported_task_types, @tags,
           @status, @status_requested, @lazy_status_request, @current_task, @created, @last_seen)`,
      )
      .run({
        ...w,
        supported_task_types: JSON.stringify(w.supported_task_types),
        tags: JSON.stringify(w.tags),
        lazy_status_request: w.lazy_status_request ? 1 : 0,
      });
  }

  get(id: string): WorkerRecord | undefined {
    const r = this.s.get('SELECT * FROM workers WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  list(): WorkerRecord[] {
    return (this.s.get('SELECT * FROM workers ORDER BY seq').all() as Row[]).map(fromRow);
  }

  update(id: string, patch: WorkerPatch): void {
    const p: Record<string, unknown> = { ...patch };
    if (patch.supported_task_types) p.supported_task_types = JSON.stringify(patch.supported_task_types);
    if (patch.tags) p.tags = JSON.stringify(patch.tags);
    this.s.update('workers', id, p, UPDATABLE);
  }

  delete(id: string): void {
    this.s.get('DELETE FROM blocklist WHERE worker_id = ?').run(id);
    this.s.get('DELETE FROM workers WHERE id = ?').run(id);
  }

  clearCurrentTask(workerId: string, taskId: string): void {
    this.s.get('UPDATE workers SET current_task = NULL WHERE id = ? AND current_task = ?').run(workerId, taskId);
  }

  /** Workers in one of the statuses that have not been seen since the deadline. */
  unseenSince(statuses: readonly string[], deadline: number): WorkerRecord[] {
    const out: WorkerRecord[] = [];
    for (const status of statuses) {
      const rows = this.s.get('SELECT * FROM workers WHERE status = ? AND last_seen < ?').all(status, deadline) as Row[];
      out.push(...rows.map(fromRow));
    }
    return out;
  }

  countByStatus(): Record<string, number> {
    const rows = this.s.get('SELECT status, COUNT(*) AS n FROM workers GROUP BY status').all() as { status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /**
   * Whether a worker other than those excluded could still run a task of this type in this job:
   * it supports the type and is not blocklisted for (job, type).
   */
  someoneElseCanRun(taskType: string, jobId: string, taskId: string): boolean {
    const row = this.s
      .get(
        `SELECT 1 FROM workers w
         WHERE EXISTS (SELECT 1 FROM json_each(w.supported_task_types) WHERE value = @taskType)
           AND NOT EXISTS (SELECT 1 FROM blocklist b WHERE b.job_id = @jobId AND b.task_type = @taskType AND b.worker_id = w.id)
           AND NOT EXISTS (SELECT 1 FROM task_failures f WHERE f.task_id = @taskId AND f.worker_id = w.id)
         LIMIT 1`,
      )
      .get({ taskType, jobId, taskId });
    return row !== undefined;
  }
}
