// SQL for the events journal (filled by the triggers of migration 4) and the farm's counts.
import type { DB } from './open';
import { StatementCache } from './statements';

export interface EventRow {
  id: number;
  kind: 'job' | 'task' | 'worker' | 'last-rendered';
  entity: string;
  job_id: string | null;
  status: string | null;
  previous: string | null;
  worker_id: string | null;
  detail: string | null;
  time: number;
}

export class EventsRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  /** Events after `id`, oldest first, at most `limit`. */
  after(id: number, limit: number): EventRow[] {
    return this.s.get('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?').all(id, limit) as EventRow[];
  }

  /** The newest event's id (0 when none was ever written). */
  lastId(): number {
    return (this.s.get("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
  }

  /** The oldest event still kept (undefined when the journal is empty). */
  firstId(): number | undefined {
    return (this.s.get('SELECT min(id) FROM events').pluck().get() as number | undefined) ?? undefined;
  }

  /** Forgets events up to and including `id`, at most `max` of them (the oldest). */
  pruneThrough(id: number, max: number): number {
    return this.s.get('DELETE FROM events WHERE id <= min(?, (SELECT min(id) FROM events) + ? - 1)').run(id, max).changes;
  }
}

export class FarmStatsRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  jobsByStatus(): Record<string, number> {
    return counts(this.s.get('SELECT status, count(*) AS n FROM jobs GROUP BY status').all());
  }

  /** From the per-job counts, so that a million tasks are not counted one by one. */
  tasksByStatus(): Record<string, number> {
    return counts(this.s.get('SELECT status, sum(n) AS n FROM job_task_counts GROUP BY status').all());
  }

  workersByStatus(): Record<string, number> {
    return counts(this.s.get('SELECT status, count(*) AS n FROM workers GROUP BY status').all());
  }

  /** How many workers of each generation run each software (their last User-Agent). */
  workersBySoftware(): { generation: string; software: string; n: number }[] {
    return this.s.get('SELECT generation, software, count(*) AS n FROM workers GROUP BY generation, software ORDER BY generation, software').all() as {
      generation: string;
      software: string;
      n: number;
    }[];
  }

  /** What each busy worker runs: the task's and its job's names. */
  currentTasks(): { worker: string; task: string; task_name: string; job: string; job_name: string }[] {
    return this.s
      .get(`SELECT w.id AS worker, t.id AS task, t.name AS task_name, j.id AS job, j.name AS job_name
            FROM workers w JOIN tasks t ON t.id = w.current_task JOIN jobs j ON j.id = t.job_id`)
      .all() as never;
  }
}

function counts(rows: unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows as { status: string; n: number }[]) out[r.status] = r.n;
  return out;
}
