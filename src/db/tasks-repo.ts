// SQL for the tasks table.
import { DISPATCH_ORDER } from '../core/support/dispatch-rules';
import { READY_TASK_STATUSES } from '../core/support/statuses';
import { sqlList } from './statements';
import type { TaskStatus } from '../core/support/statuses';
import type { DB } from './open';
import { StatementCache } from './statements';

export interface Command {
  name: string;
  settings: Record<string, unknown>;
}

export interface TaskRecord {
  seq: number;
  id: string;
  job_id: string;
  job_seq: number;
  job_priority: number;
  job_tag: string | null;
  name: string;
  task_type: string;
  priority: number;
  status: TaskStatus;
  commands: Command[];
  pending_parents: number;
  worker_id: string | null;
  activity: string;
  log_tail: string;
  task_progress: number;
  command_idx: number;
  command_progress: number;
  metrics: Record<string, unknown>;
  last_worker_ping: number | null;
  created: number;
  updated: number;
  /** Whether a Flamenco 3 Worker can run it (core/jobs/dialects.ts hasV3Equivalent), set at submission. */
  v3_equivalent: boolean;
}

export type NewTask = Omit<TaskRecord, 'seq'>;

interface Row extends Omit<TaskRecord, 'commands' | 'metrics' | 'v3_equivalent'> {
  commands: string;
  metrics: string;
  v3_equivalent: number;
}

function fromRow(r: Row): TaskRecord {
  return {
    ...r,
    commands: JSON.parse(r.commands) as Command[],
    metrics: JSON.parse(r.metrics) as Record<string, unknown>,
    v3_equivalent: r.v3_equivalent !== 0,
  };
}

/**
 * The worker's tags travel as one string, each tag between unit separators (char 31): a plain
 * expression, where a json_each() list would be built again on every poll (measured: 77 µs of an
 * idle poll's query against 5 µs without it).
 */
export function tagsParam(tags: readonly string[]): string {
  return tags.length === 0 ? '' : `\x1f${tags.join('\x1f')}\x1f`;
}

/** The dispatch query of nextForType; exported so tests can check its query plan. */
export const NEXT_FOR_TYPE_SQL = `SELECT * FROM tasks INDEXED BY tasks_dispatch
   WHERE ready = 1 AND task_type = @taskType
     AND (job_tag IS NULL OR instr(@workerTags, char(31) || job_tag || char(31)) > 0)
     AND NOT EXISTS (SELECT 1 FROM task_failures f WHERE f.task_id = tasks.id AND f.worker_id = @workerId)
     AND NOT EXISTS (SELECT 1 FROM blocklist b
                     WHERE b.job_id = tasks.job_id AND b.task_type = tasks.task_type AND b.worker_id = @workerId)
   ORDER BY ${DISPATCH_ORDER.map((k) => `${k.column}${k.descending ? ' DESC' : ''}`).join(', ')}
   LIMIT 1`;

/**
 * The dispatch query with the task type written in as an SQL string literal. Bound as a parameter,
 * SQLite prepares this query again on every call (it matches the parameter against the partial
 * index and re-plans when its value is bound): 30–50 µs per call instead of 4 µs. Task types are
 * few, so one prepared statement per type stays small; the literal is quoted, never spliced raw.
 */
function nextForTypeSql(taskType: string, v3Only: boolean): string {
  return (v3Only ? NEXT_FOR_TYPE_V3_SQL : NEXT_FOR_TYPE_SQL).replace('@taskType', `'${taskType.replace(/'/g, "''")}'`);
}

/**
 * The dispatch query as a Flamenco 3 Worker asks it: only tasks with a Flamenco 3 equivalent,
 * walking tasks_dispatch_v3, which holds only those (the condition must be in the query for
 * SQLite to use that partial index). Exported so tests can check its query plan.
 */
export const NEXT_FOR_TYPE_V3_SQL = NEXT_FOR_TYPE_SQL.replace('INDEXED BY tasks_dispatch', 'INDEXED BY tasks_dispatch_v3').replace(
  'AND (job_tag IS NULL',
  'AND v3_equivalent = 1 AND (job_tag IS NULL',
);

/**
 * A page of a job's tasks, all or of one status, in creation order. Each walks an index in that
 * order (tasks_job_seq, tasks_job_status) and stops after the page: a page of a 100 000-task job
 * reads the page, not the job. Exported so tests can check their query plans.
 */
export const JOB_TASKS_SQL = 'SELECT * FROM tasks WHERE job_id = ? ORDER BY seq LIMIT ? OFFSET ?';
export const JOB_HAS_READY_SQL = `SELECT 1 FROM tasks WHERE job_id = ? AND status IN ${sqlList(READY_TASK_STATUSES)} AND ready = 1 LIMIT 1`;
export const JOB_STATUS_TASKS_SQL = 'SELECT * FROM tasks WHERE job_id = ? AND status = ? ORDER BY seq LIMIT ? OFFSET ?';

// `+?` keeps the plan but stops SQLite from re-planning per bound value (see nextForTypeSql).
const FOR_WORKER_ACTIVE_SQL = "SELECT * FROM tasks WHERE worker_id = +? AND status = 'active' ORDER BY seq";
const FOR_WORKER_CANCEL_REQUESTED_SQL = "SELECT * FROM tasks WHERE worker_id = +? AND status = 'cancel-requested' ORDER BY seq";

/** Where a task's worker goes when its status changes: kept, assigned (and pinged), or released. */
export type WorkerChange = { keep: true } | { assign: string } | { release: true };

export interface TaskReport {
  activity?: string;
  log_tail?: string;
  task_progress?: number;
  command_idx?: number;
  command_progress?: number;
  metrics?: Record<string, unknown>;
}

export class TasksRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  insert(t: NewTask): void {
    this.s
      .get(
        `INSERT INTO tasks (id, job_id, job_seq, job_priority, job_tag, name, task_type, priority, status, commands,
           pending_parents, worker_id, activity, log_tail, task_progress, command_idx, command_progress, metrics,
           last_worker_ping, created, updated, v3_equivalent)
         VALUES (@id, @job_id, @job_seq, @job_priority, @job_tag, @name, @task_type, @priority, @status, @commands,
           @pending_parents, @worker_id, @activity, @log_tail, @task_progress, @command_idx, @command_progress, @metrics,
           @last_worker_ping, @created, @updated, @v3_equivalent)`,
      )
      .run({ ...t, commands: JSON.stringify(t.commands), metrics: JSON.stringify(t.metrics), v3_equivalent: t.v3_equivalent ? 1 : 0 });
  }

  get(id: string): TaskRecord | undefined {
    const r = this.s.get('SELECT * FROM tasks WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /** A task's name and job, without reading its commands (labels for people). */
  label(id: string): { name: string; job_id: string } | undefined {
    return this.s.get('SELECT name, job_id FROM tasks WHERE id = ?').get(id) as { name: string; job_id: string } | undefined;
  }

  /** The task if it may be handed out now (the schema's `ready` column). */
  getIfReady(id: string): TaskRecord | undefined {
    const r = this.s.get('SELECT * FROM tasks WHERE id = ? AND ready = 1').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /**
   * The state machine's one write of a task's status (see core/lifecycle/state.ts); the activity
   * is kept when not given.
   */
  setStatus(id: string, status: TaskStatus, now: number, worker: WorkerChange, activity?: string): void {
    const params = { id, status, now, activity: activity ?? null };
    if ('assign' in worker) {
      this.s
        .get(
          // A new run starts from nothing: the progress of an earlier run is not this one's.
          `UPDATE tasks SET status = @status, updated = @now, activity = coalesce(@activity, activity),
             worker_id = @worker, last_worker_ping = @now, task_progress = 0, command_idx = 0, command_progress = 0 WHERE id = @id`,
        )
        .run({ ...params, worker: worker.assign });
    } else if ('release' in worker) {
      this.s.get('UPDATE tasks SET status = @status, updated = @now, activity = coalesce(@activity, activity), worker_id = NULL WHERE id = @id').run(params);
    } else {
      this.s.get('UPDATE tasks SET status = @status, updated = @now, activity = coalesce(@activity, activity) WHERE id = @id').run(params);
    }
  }

  /** The worker showed a sign of life for the task (task timeouts count from here). */
  ping(id: string, now: number): void {
    this.s.get('UPDATE tasks SET last_worker_ping = ? WHERE id = ?').run(now, id);
  }

  /** What a worker's update reports; fields not given keep their value. Also a sign of life. */
  recordReport(id: string, r: TaskReport, now: number): void {
    this.s
      .get(
        `UPDATE tasks SET activity = coalesce(@activity, activity), log_tail = coalesce(@log_tail, log_tail),
           task_progress = coalesce(@task_progress, task_progress), command_idx = coalesce(@command_idx, command_idx),
           command_progress = coalesce(@command_progress, command_progress), metrics = coalesce(@metrics, metrics),
           last_worker_ping = @now, updated = @now
         WHERE id = @id`,
      )
      .run({
        id,
        now,
        activity: r.activity ?? null,
        log_tail: r.log_tail ?? null,
        task_progress: r.task_progress ?? null,
        command_idx: r.command_idx ?? null,
        command_progress: r.command_progress ?? null,
        metrics: r.metrics ? JSON.stringify(r.metrics) : null,
      });
  }

  /** A job's tasks in creation order; with `limit` and `offset`, only that page of them is read. */
  listForJob(jobId: string, limit = -1, offset = 0): TaskRecord[] {
    return (this.s.get(JOB_TASKS_SQL).all(jobId, limit, offset) as Row[]).map(fromRow);
  }

  idsForJob(jobId: string, statuses: readonly TaskStatus[]): string[] {
    const out: string[] = [];
    for (const st of statuses) {
      const rows = this.s.get('SELECT id FROM tasks WHERE job_id = ? AND status = ? ORDER BY seq').pluck().all(jobId, st) as string[];
      out.push(...rows);
    }
    return out;
  }

  /** A job's tasks in one status, in creation order; with `limit` and `offset`, only that page of them is read. */
  forJobStatus(jobId: string, status: TaskStatus, limit = -1, offset = 0): TaskRecord[] {
    return (this.s.get(JOB_STATUS_TASKS_SQL).all(jobId, status, limit, offset) as Row[]).map(fromRow);
  }

  /**
   * Whether some task of the job could be handed out now. Only its tasks of a ready status are
   * looked at (through tasks_job_status), not every task of the job: a large job that has run for
   * a while is mostly completed tasks.
   */
  jobHasReadyTask(jobId: string): boolean {
    return this.s.get(JOB_HAS_READY_SQL).get(jobId) !== undefined;
  }

  hasActiveForWorker(workerId: string): boolean {
    return this.s.get("SELECT 1 FROM tasks WHERE worker_id = ? AND status = 'active' LIMIT 1").get(workerId) !== undefined;
  }

  /** The job of the task the worker was given or reported on last, if it ever had one. */
  lastJobOfWorker(workerId: string): string | undefined {
    return this.s.get('SELECT job_id FROM tasks WHERE worker_id = ? ORDER BY updated DESC LIMIT 1').pluck().get(workerId) as string | undefined;
  }

  /** Tasks of a worker in one status (normally 'active': at most one). */
  forWorker(workerId: string, status: 'active' | 'cancel-requested'): TaskRecord[] {
    // The status is written into the SQL (one of two literals): bound, it makes SQLite re-plan the
    // query on every call, as for the dispatch query.
    const sql = status === 'active' ? FOR_WORKER_ACTIVE_SQL : FOR_WORKER_CANCEL_REQUESTED_SQL;
    return (this.s.get(sql).all(workerId) as Row[]).map(fromRow);
  }

  /** A parent completed (delta -1) or stopped being completed (+1): adjust its children's counters. */
  adjustChildrenPending(parentId: string, delta: number): void {
    this.s.get('UPDATE tasks SET pending_parents = pending_parents + ? WHERE id IN (SELECT task_id FROM task_parents WHERE parent_id = ?)').run(delta, parentId);
  }

  /**
   * The first task of one type, in dispatch order, that this worker may run (with v3Only, one a
   * Flamenco 3 Worker can run). Walks the
   * tasks_dispatch partial index and stops at the first row passing the per-worker filters.
   */
  nextForType(taskType: string, workerId: string, workerTags: string, v3Only = false): TaskRecord | undefined {
    const r = this.s.get(nextForTypeSql(taskType, v3Only)).get({ workerId, workerTags }) as Row | undefined;
    return r && fromRow(r);
  }

  /** Moves every task of a job in one of `from` to `to` at once; returns the ids moved. */
  /** `activity`, when given, replaces the tasks' activity (else it stays). */
  bulkSetStatus(jobId: string, from: readonly TaskStatus[], to: TaskStatus, now: number, opts: { clearWorker?: boolean; activity?: string } = {}): string[] {
    const ids = this.idsForJob(jobId, from);
    if (ids.length === 0) return ids;
    const stmt = this.s.get(
      `UPDATE tasks SET status = @to, updated = @now, activity = coalesce(@activity, activity)${opts.clearWorker ? ', worker_id = NULL' : ''} WHERE job_id = @jobId AND status = @from`,
    );
    for (const st of from) stmt.run({ to, now, activity: opts.activity ?? null, jobId, from: st });
    return ids;
  }

  /** Recomputes every pending_parents counter of a job from its parents' statuses. */
  recomputePending(jobId: string): void {
    this.s
      .get(
        `UPDATE tasks SET pending_parents = (
           SELECT COUNT(*) FROM task_parents p JOIN tasks pt ON pt.id = p.parent_id
           WHERE p.task_id = tasks.id AND pt.status != 'completed')
         WHERE job_id = ?`,
      )
      .run(jobId);
  }

  activePingedBefore(deadline: number): TaskRecord[] {
    return (this.s.get("SELECT * FROM tasks WHERE status = 'active' AND last_worker_ping < ?").all(deadline) as Row[]).map(fromRow);
  }

  setJobPriority(jobId: string, priority: number): void {
    this.s.get('UPDATE tasks SET job_priority = ? WHERE job_id = ?').run(priority, jobId);
  }

  deleteForJob(jobId: string): void {
    this.s.get('DELETE FROM tasks WHERE job_id = ?').run(jobId);
  }
}
