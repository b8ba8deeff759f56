// SQL for the workers table.
import { type Generation, v3TaskType } from '../core/support/generations';
import type { RequestableStatus, TaskStatus, WorkerStatus } from '../core/support/statuses';
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
  status: WorkerStatus;
  /** What an admin, a sleep schedule or a timeout asked the worker to become; '' for nothing. */
  status_requested: RequestableStatus | '';
  lazy_status_request: boolean;
  current_task: string | null;
  /** The task that was active on the worker when it last signed on (see scheduler.ts). */
  resume_task: string | null;
  current_task_status: TaskStatus | null;
  current_task_updated: number | null;
  created: number;
  last_seen: number;
  /** Which worker it is: Flamenco Worker 2.5 ('v2') or the Flamenco 3 Worker ('v3'). */
  generation: Generation;
  /** The worker said at its last sign-on that it restarts when told to (then `restart` may be requested). */
  can_restart: boolean;
}

interface Row extends Omit<WorkerRecord, 'supported_task_types' | 'tags' | 'lazy_status_request' | 'can_restart'> {
  supported_task_types: string;
  tags: string;
  lazy_status_request: number;
  can_restart: number;
}

/** Who is on the other end of a request. */
export interface Caller {
  address: string;
  software: string;
}

function fromRow(r: Row): WorkerRecord {
  return {
    ...r,
    supported_task_types: JSON.parse(r.supported_task_types) as string[],
    tags: JSON.parse(r.tags) as string[],
    lazy_status_request: r.lazy_status_request !== 0,
    can_restart: r.can_restart !== 0,
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
           status, status_requested, lazy_status_request, current_task, created, last_seen, generation)
         VALUES (@id, @secret_hash, @nickname, @address, @platform, @software, @supported_task_types, @tags,
           @status, @status_requested, @lazy_status_request, @current_task, @created, @last_seen, @generation)`,
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

  /** The first `limit` workers in registration order, and how many there are in all. */
  listed(limit: number): { workers: WorkerRecord[]; total: number } {
    const workers = (this.s.get('SELECT * FROM workers ORDER BY seq LIMIT ?').all(limit) as Row[]).map(fromRow);
    return { workers, total: this.s.get('SELECT COUNT(*) FROM workers').pluck().get() as number };
  }

  /** Removes the worker row; its blocklist entries go first (see WorkerService.forget). */
  delete(id: string): void {
    this.s.get('DELETE FROM workers WHERE id = ?').run(id);
  }

  setSecretHash(id: string, hash: string): void {
    this.s.get('UPDATE workers SET secret_hash = ? WHERE id = ?').run(hash, id);
  }

  /** The worker spoke to us: when, from where, with what software, and the status that follows. */
  markSeen(id: string, seen: Caller & { status: WorkerStatus; now: number }): void {
    this.s
      .get('UPDATE workers SET status = @status, last_seen = @now, address = @address, software = @software WHERE id = @id')
      .run({ id, status: seen.status, now: seen.now, address: seen.address, software: seen.software });
  }

  setLastSeen(id: string, lastSeen: number): void {
    this.s.get('UPDATE workers SET last_seen = ? WHERE id = ?').run(lastSeen, id);
  }

  /**
   * Sign-on: starting, no current task; nickname and task types change only when given.
   * `resume_task` is the task still active on the worker, the one it may get back.
   */
  signOn(id: string, on: Caller & { nickname?: string; supported_task_types?: string[]; resume_task: string | null; now: number; can_restart?: boolean }): void {
    this.s
      .get(
        `UPDATE workers SET status = 'starting', current_task = NULL, resume_task = @resume, nickname = coalesce(@nickname, nickname),
           supported_task_types = coalesce(@types, supported_task_types), last_seen = @now, address = @address, software = @software,
           can_restart = @canRestart
         WHERE id = @id`,
      )
      .run({
        id,
        canRestart: on.can_restart ? 1 : 0,
        now: on.now,
        address: on.address,
        software: on.software,
        nickname: on.nickname ?? null,
        types: on.supported_task_types ? JSON.stringify(on.supported_task_types) : null,
        resume: on.resume_task,
      });
  }

  /** The worker asked for a task after its sign-on: what it had then is handed back at most once. */
  clearResumeTask(id: string): void {
    this.s.get('UPDATE workers SET resume_task = NULL WHERE id = ?').run(id);
  }

  /** Sign-off: offline, no current task, with the request it should find at its next sign-on. */
  signOff(id: string, off: Caller & { status_requested: RequestableStatus | ''; lazy: boolean; now: number }): void {
    this.s
      .get(
        `UPDATE workers SET status = 'offline', status_requested = @requested, lazy_status_request = @lazy, current_task = NULL,
           last_seen = @now, address = @address, software = @software
         WHERE id = @id`,
      )
      .run({ id, requested: off.status_requested, lazy: off.lazy ? 1 : 0, now: off.now, address: off.address, software: off.software });
  }

  setStatusRequest(id: string, status: RequestableStatus | '', lazy: boolean): void {
    this.s.get('UPDATE workers SET status_requested = ?, lazy_status_request = ? WHERE id = ?').run(status, lazy ? 1 : 0, id);
  }

  /** The worker confirmed a requested status: it has it now, and nothing is requested any more. */
  acknowledge(id: string, status: WorkerStatus, now: number): void {
    this.s.get("UPDATE workers SET status = ?, status_requested = '', lazy_status_request = 0, last_seen = ? WHERE id = ?").run(status, now, id);
  }

  /**
   * Marks the worker timed out, without a current task. `requested` replaces its status request
   * (undefined keeps it); `lastSeen` replaces last_seen (undefined keeps it).
   */
  timedOut(id: string, requested?: RequestableStatus | '', lastSeen?: number): void {
    this.s
      .get(
        `UPDATE workers SET status = 'timeout', current_task = NULL,
           status_requested = coalesce(@requested, status_requested),
           lazy_status_request = CASE WHEN @requested IS NULL THEN lazy_status_request ELSE 0 END,
           last_seen = coalesce(@lastSeen, last_seen)
         WHERE id = @id`,
      )
      .run({ id, requested: requested ?? null, lastSeen: lastSeen ?? null });
  }

  /** The worker was handed a task. */
  assignTask(id: string, taskId: string, now: number): void {
    this.s.get("UPDATE workers SET current_task = ?, current_task_status = 'active', current_task_updated = ? WHERE id = ?").run(taskId, now, id);
  }

  /** The worker resumes a task it already had (after a sign-on cleared current_task). */
  setCurrentTask(id: string, taskId: string): void {
    this.s.get('UPDATE workers SET current_task = ? WHERE id = ?').run(taskId, id);
  }

  /**
   * A task update from the worker: its task's reported status (kept when not given) and when. Its
   * last_seen is the business of markSeen, which the same request went through.
   */
  recordTaskReport(id: string, taskStatus: TaskStatus | undefined, now: number): void {
    this.s
      .get('UPDATE workers SET current_task_status = coalesce(@taskStatus, current_task_status), current_task_updated = @now WHERE id = @id')
      .run({ id, taskStatus: taskStatus ?? null, now });
  }

  setTags(id: string, tags: string[]): void {
    this.s.get('UPDATE workers SET tags = ? WHERE id = ?').run(JSON.stringify(tags), id);
  }

  /** Sets a status directly (tests and tools); the protocol's own changes use the writes above. */
  setStatus(id: string, status: WorkerStatus): void {
    this.s.get('UPDATE workers SET status = ? WHERE id = ?').run(status, id);
  }

  clearCurrentTask(workerId: string, taskId: string): void {
    this.s.get('UPDATE workers SET current_task = NULL WHERE id = ? AND current_task = ?').run(workerId, taskId);
  }

  /** Workers in one of the statuses that have not been seen since the deadline. */
  unseenSince(statuses: readonly WorkerStatus[], deadline: number): WorkerRecord[] {
    const out: WorkerRecord[] = [];
    for (const status of statuses) {
      const rows = this.s.get('SELECT * FROM workers WHERE status = ? AND last_seen < ?').all(status, deadline) as Row[];
      out.push(...rows.map(fromRow));
    }
    return out;
  }

  /** Every tag some worker has, sorted. */
  tagsInUse(): string[] {
    return this.s.get('SELECT DISTINCT t.value FROM workers w, json_each(w.tags) t ORDER BY t.value').pluck().all() as string[];
  }

  countByStatus(): Partial<Record<WorkerStatus, number>> {
    const rows = this.s.get('SELECT status, COUNT(*) AS n FROM workers GROUP BY status').all() as { status: WorkerStatus; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /**
   * Whether a worker other than those excluded could still run a task of this type in this job:
   * it runs the type (a Flamenco 3 Worker: the type or its Flamenco 3 name, and only for a task
   * with a Flamenco 3 equivalent; see core/jobs/dialects.ts), carries the job's tag (if the
   * job has one), is not blocklisted for (job, type) and has not failed this task.
   */
  someoneElseCanRun(taskType: string, jobId: string, taskId: string, jobTag: string | null, v3Equivalent = false): boolean {
    const row = this.s
      .get(
        `SELECT 1 FROM workers w
         WHERE (EXISTS (SELECT 1 FROM json_each(w.supported_task_types) WHERE value = @taskType)
                AND (w.generation != 'v3' OR @v3Equivalent = 1)
             OR w.generation = 'v3' AND @v3Equivalent = 1
                AND EXISTS (SELECT 1 FROM json_each(w.supported_task_types) WHERE value = @v3TaskType))
           AND (@jobTag IS NULL OR EXISTS (SELECT 1 FROM json_each(w.tags) WHERE value = @jobTag))
           AND NOT EXISTS (SELECT 1 FROM blocklist b WHERE b.job_id = @jobId AND b.task_type = @taskType AND b.worker_id = w.id)
           AND NOT EXISTS (SELECT 1 FROM task_failures f WHERE f.task_id = @taskId AND f.worker_id = w.id)
         LIMIT 1`,
      )
      .get({ taskType, v3TaskType: v3TaskType(taskType), v3Equivalent: v3Equivalent ? 1 : 0, jobId, taskId, jobTag });
    return row !== undefined;
  }
}
