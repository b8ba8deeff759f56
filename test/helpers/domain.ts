// Helpers for domain tests that drive a Manager directly (no HTTP): workers, claims, reports and
// direct looks at the database to compare stored counters with the truth.
import { type IdGenerator, objectIdGenerator } from '../../src/core/support/ids';
import type { Generation } from '../../src/core/jobs/dialects';
import type { ClaimResult } from '../../src/core/protocol/scheduler';
import { hashSecret } from '../../src/core/protocol/secrets';
import { parseTaskUpdate } from '../../src/core/protocol/task-reports';
import { type Caller, newWorkerRecord } from '../../src/core/protocol/workers';
import type { JobRecord } from '../../src/db/jobs-repo';
import type { TaskRecord } from '../../src/db/tasks-repo';
import type { WorkerRecord } from '../../src/db/workers-repo';
import { customJob, type TestManager } from './env';

export const CALLER: Caller = { address: '10.0.0.7', software: 'Flamenco-Worker/2.5' };

let workerCounter = 0;
let sharedHash: Promise<string> | undefined;

/** The secret every helper worker shares; hashed once, since the slow hash is not what these tests are about. */
export const WORKER_SECRET = 'domain-test-secret-0123456789abcdef';

export interface WorkerOptions {
  types?: string[];
  platform?: string;
  nickname?: string;
  tags?: string[];
  /** Leave the worker as it is after sign-on ('starting') instead of making it awake. */
  stayStarting?: boolean;
  /** 'v3': a Flamenco 3 Worker, whose `types` are Flamenco 3 task types. */
  generation?: Generation;
}

/**
 * Adds a registered worker (stored as registration stores it), signs it on through the
 * WorkerService, and wakes it unless asked otherwise.
 */
export async function addWorker(tm: TestManager, opts: WorkerOptions = {}): Promise<string> {
  const m = tm.manager;
  sharedHash ??= hashSecret(WORKER_SECRET);
  const now = tm.clock.now();
  const id = newId(tm);
  const w = newWorkerRecord({
    id,
    secret_hash: await sharedHash,
    nickname: opts.nickname ?? `w${++workerCounter}`,
    platform: opts.platform ?? 'linux',
    supported_task_types: opts.types ?? ['sleep'],
    tags: opts.tags,
    caller: CALLER,
    now,
    generation: opts.generation,
  });
  m.repos.workers.insert(w);
  m.workers.signOn(workerRec(tm, id), {}, CALLER);
  if (!opts.stayStarting) m.workers.seen(workerRec(tm, id), CALLER, { wake: true });
  return id;
}

const idGenerators = new WeakMap<TestManager, IdGenerator>();

function newId(tm: TestManager): string {
  let gen = idGenerators.get(tm);
  if (!gen) {
    gen = objectIdGenerator(tm.clock);
    idGenerators.set(tm, gen);
  }
  return gen();
}

export function workerRec(tm: TestManager, id: string): WorkerRecord {
  const w = tm.manager.repos.workers.get(id);
  if (!w) throw new Error(`no worker ${id}`);
  return w;
}

export function taskRec(tm: TestManager, id: string): TaskRecord {
  const t = tm.manager.repos.tasks.get(id);
  if (!t) throw new Error(`no task ${id}`);
  return t;
}

export function jobRec(tm: TestManager, id: string): JobRecord {
  const j = tm.manager.repos.jobs.get(id);
  if (!j) throw new Error(`no job ${id}`);
  return j;
}

/** What POST /task does after authentication: mark the worker seen (waking it), then claim. */
export function claim(tm: TestManager, workerId: string): ClaimResult {
  const w = workerRec(tm, workerId);
  tm.manager.workers.seen(w, CALLER, { wake: true });
  return tm.manager.scheduler.claim(w);
}

/** The task a claim hands out, or undefined when there is none; any other answer throws. */
export function claimTask(tm: TestManager, workerId: string): TaskRecord | undefined {
  const r = claim(tm, workerId);
  if (r.kind === 'none') return undefined;
  if (r.kind !== 'task') throw new Error(`claim answered ${JSON.stringify(r)}`);
  return r.task;
}

/** Like claimTask, but there must be a task. */
export function mustClaim(tm: TestManager, workerId: string): TaskRecord {
  const t = claimTask(tm, workerId);
  if (!t) throw new Error(`worker ${workerId} got no task`);
  return t;
}

/** A worker's task update; with log lines it is applied once they are written (await it). */
export function report(tm: TestManager, workerId: string, taskId: string, body: Record<string, unknown>): Promise<void> {
  const applied = tm.manager.reports.update(workerRec(tm, workerId), taskId, parseTaskUpdate(body));
  // Updates are applied in serve's group commit (db/batch.ts): committed here at once, so that
  // another connection (a CLI command run by the test) sees them and is not kept waiting.
  tm.manager.batch.commit();
  return applied.then(() => tm.manager.batch.commit());
}

export function complete(tm: TestManager, workerId: string, taskId: string): void {
  void report(tm, workerId, taskId, { task_status: 'completed' });
}

export function fail(tm: TestManager, workerId: string, taskId: string): void {
  void report(tm, workerId, taskId, { task_status: 'failed', activity: 'exit code 1' });
}

/** Submits a custom job (see customJob) and returns its id. */
export function submitCustom(tm: TestManager, tasks: Parameters<typeof customJob>[0], extra: Record<string, unknown> = {}): string {
  return tm.manager.jobs.submit(customJob(tasks, extra)).id;
}

/** The job's tasks by name. */
export function tasksByName(tm: TestManager, jobId: string): Record<string, TaskRecord> {
  return Object.fromEntries(tm.manager.repos.tasks.listForJob(jobId).map((t) => [t.name, t]));
}

export function statusOf(tm: TestManager, taskId: string): string {
  return taskRec(tm, taskId).status;
}

/** Ids of the workers that failed a task. */
export function failedBy(tm: TestManager, taskId: string): string[] {
  return tm.manager.repos.taskFailures.list(taskId).map((f) => f.worker_id);
}

export function countRows(tm: TestManager, table: string): number {
  return tm.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
}

/** The stored per-job counters, as "job/status" → n (zero rows left out). */
export function storedCounts(tm: TestManager): Record<string, number> {
  const rows = tm.db.prepare('SELECT job_id, status, n FROM job_task_counts WHERE n != 0').all() as { job_id: string; status: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [`${r.job_id}/${r.status}`, r.n]));
}

/** The same, counted from the tasks table. */
export function realCounts(tm: TestManager): Record<string, number> {
  const rows = tm.db.prepare('SELECT job_id, status, COUNT(*) AS n FROM tasks GROUP BY job_id, status').all() as { job_id: string; status: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [`${r.job_id}/${r.status}`, r.n]));
}

/** Tasks whose pending_parents differs from the number of their parents that are not completed. */
export function wrongPendingParents(tm: TestManager): { id: string; stored: number; real: number }[] {
  return tm.db
    .prepare(
      `SELECT t.id, t.pending_parents AS stored,
         (SELECT COUNT(*) FROM task_parents p JOIN tasks pt ON pt.id = p.parent_id
          WHERE p.task_id = t.id AND pt.status != 'completed') AS real
       FROM tasks t WHERE stored != real`,
    )
    .all() as { id: string; stored: number; real: number }[];
}

/** The worker these credentials log in as (from `address`), or undefined when they are refused. */
export async function loginAs(tm: TestManager, id: string, secret: string, address = CALLER.address): Promise<WorkerRecord | undefined> {
  const r = await tm.manager.workers.authenticate(id, secret, address);
  return 'worker' in r ? r.worker : undefined;
}
