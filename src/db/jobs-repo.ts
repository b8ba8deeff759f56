// SQL for the jobs table.
import type { JobStatus } from '../core/support/statuses';
import type { DB } from './open';
import { StatementCache } from './statements';

export interface JobRecord {
  seq: number;
  id: string;
  name: string;
  job_type: string;
  status: JobStatus;
  priority: number;
  settings: Record<string, unknown>;
  metadata: Record<string, string>;
  tag: string | null;
  /** The operating system the job was submitted from, when the submitter said (the Blender add-on does). */
  submitter_platform: string | null;
  activity: string;
  created: number;
  updated: number;
  last_output: string | null;
}

/** A job without its settings: what listings show (settings can be large; they are not parsed). */
export type JobListing = Omit<JobRecord, 'settings'>;

/** Every column but settings. */
const LISTING_COLUMNS = 'seq, id, name, job_type, status, priority, metadata, tag, activity, created, updated, last_output, submitter_platform';

/** A job as the state machine sees it. */
export type JobStatusRecord = Pick<JobRecord, 'id' | 'status'>;

interface Row extends Omit<JobRecord, 'settings' | 'metadata'> {
  settings: string;
  metadata: string;
}

function fromRow(r: Row): JobRecord {
  return { ...r, settings: JSON.parse(r.settings) as Record<string, unknown>, metadata: JSON.parse(r.metadata) as Record<string, string> };
}

export class JobsRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  /** Inserts a job and returns its seq (creation order). */
  insert(j: Omit<JobRecord, 'seq'>): number {
    const info = this.s
      .get(
        `INSERT INTO jobs (id, name, job_type, status, priority, settings, metadata, tag, submitter_platform, activity, created, updated, last_output)
         VALUES (@id, @name, @job_type, @status, @priority, @settings, @metadata, @tag, @submitter_platform, @activity, @created, @updated, @last_output)`,
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

  /** A job's name, without reading its settings (labels for people). */
  name(id: string): string | undefined {
    return this.s.get('SELECT name FROM jobs WHERE id = ?').pluck().get(id) as string | undefined;
  }

  jobType(id: string): string | undefined {
    return this.s.get('SELECT job_type FROM jobs WHERE id = ?').pluck().get(id) as string | undefined;
  }

  /** Jobs without their settings, in creation order, all or of one status. */
  listings(status?: JobStatus): JobListing[] {
    const rows = (
      status ? this.s.get(`SELECT ${LISTING_COLUMNS} FROM jobs WHERE status = ? ORDER BY seq`).all(status) : this.s.get(`SELECT ${LISTING_COLUMNS} FROM jobs ORDER BY seq`).all()
    ) as Omit<Row, 'settings'>[];
    return rows.map((r) => ({ ...r, metadata: JSON.parse(r.metadata) as Record<string, string> }));
  }

  /** The state machine's one write of a job's status; the activity is kept when not given. */
  setStatus(id: string, status: JobStatus, updated: number, activity?: string): void {
    this.s
      .get('UPDATE jobs SET status = @status, updated = @updated, activity = coalesce(@activity, activity) WHERE id = @id')
      .run({ id, status, updated, activity: activity ?? null });
  }

  setPriority(id: string, priority: number): void {
    this.s.get('UPDATE jobs SET priority = ? WHERE id = ?').run(priority, id);
  }

  /** The newest output a worker reported for the job. */
  setLastOutput(id: string, path: string): void {
    this.s.get('UPDATE jobs SET last_output = ? WHERE id = ?').run(path, id);
  }

  /** Removes the job row; its tasks and their rows go first (see JobActions.delete). */
  delete(id: string): void {
    this.s.get('DELETE FROM jobs WHERE id = ?').run(id);
  }
}
