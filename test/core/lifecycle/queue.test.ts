// Admin queue actions: requeueing jobs, tasks and a worker's tasks, and the queue status view.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/core/support/errors';
import { JOB_STATUSES, TASK_STATUSES, WORKER_STATUSES } from '../../../src/core/support/statuses';
import { testManager, type TestManager } from '../../helpers/env';
import {
  addWorker,
  claimTask,
  complete,
  fail,
  failedBy,
  jobRec,
  mustClaim,
  realCounts,
  storedCounts,
  report,
  submitCustom,
  taskRec,
  tasksByName,
  workerRec,
} from '../../helpers/domain';

/** A job of four tasks where a and b soft- or hard-failed on w1, c completed and d is queued. */
async function jobWithFailures(tm: TestManager) {
  const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]);
  const w1 = await addWorker(tm);
  const w2 = await addWorker(tm);
  fail(tm, w1, mustClaim(tm, w1).id); // a: soft-failed
  fail(tm, w1, mustClaim(tm, w1).id); // b: soft-failed; blocklist_threshold 2 → w1 blocklisted
  const c = mustClaim(tm, w2);
  expect(c.name).toBe('a');
  complete(tm, w2, c.id);
  return { job, w1, w2 };
}

describe('requeueJob', () => {
  it('requeues only the failed tasks, clearing their failure lists and the job blocklist', async () => {
    const tm = testManager({ config: { blocklist_threshold: 2, job_fail_share: 1 } });
    const m = tm.manager;
    const { job, w1 } = await jobWithFailures(tm);
    const t = tasksByName(tm, job);
    expect([t.a!.status, t.b!.status, t.c!.status, t.d!.status]).toEqual(['completed', 'soft-failed', 'queued', 'queued']);
    expect(m.repos.blocklist.list(job)).toHaveLength(1);
    expect(claimTask(tm, w1)).toBeUndefined();

    expect(m.queue.requeueJob(job, true)).toBe(1);
    const after = tasksByName(tm, job);
    expect([after.a!.status, after.b!.status]).toEqual(['completed', 'queued']);
    expect(failedBy(tm, after.b!.id)).toEqual([]);
    expect(m.repos.blocklist.list(job)).toEqual([]);
    // w1 may run this job's tasks again, starting with b.
    expect(mustClaim(tm, w1).name).toBe('b');
    expect(storedCounts(tm)).toEqual(realCounts(tm));
  });

  it('requeues every task of the job, clearing all failure lists', async () => {
    const tm = testManager({ config: { blocklist_threshold: 2, job_fail_share: 1 } });
    const m = tm.manager;
    const { job, w2 } = await jobWithFailures(tm);
    const running = mustClaim(tm, w2);
    expect(running.name).toBe('b');
    expect(failedBy(tm, running.id)).toHaveLength(1);
    expect(m.queue.requeueJob(job, false)).toBe(2); // a completed and b active; c and d were queued already
    for (const t of Object.values(tasksByName(tm, job))) {
      expect(t.status).toBe('queued');
      expect(t.worker_id).toBeNull();
      expect(failedBy(tm, t.id)).toEqual([]);
    }
    expect(workerRec(tm, w2).current_task).toBeNull();
    expect(taskRec(tm, running.id).status).toBe('queued');
    expect(m.repos.blocklist.list()).toEqual([]);
    expect(jobRec(tm, job).status).toBe('queued');
    expect(m.repos.taskCounts.forJob(job)).toEqual({ queued: 4 });
  });

  it('brings a failed job back, with the tasks its failure canceled', async () => {
    const tm = testManager({ config: { job_fail_share: 0.5 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    fail(tm, w, mustClaim(tm, w).id);
    expect(jobRec(tm, job).status).toBe('failed');
    expect(tasksByName(tm, job).b!.status).toBe('canceled');

    expect(m.queue.requeueJob(job, true)).toBe(2);
    expect(jobRec(tm, job).status).toBe('queued');
    expect(Object.values(tasksByName(tm, job)).map((t) => t.status)).toEqual(['queued', 'queued']);
    expect(mustClaim(tm, w).name).toBe('a');
  });

  it('waits until the tasks a failed job is stopping have stopped', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1, job_fail_share: 0.5 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const a = mustClaim(tm, w1);
    const b = mustClaim(tm, w2);
    fail(tm, w1, a.id);
    expect(jobRec(tm, job).status).toBe('failed');
    expect(taskRec(tm, b.id).status).toBe('cancel-requested');
    const before = storedCounts(tm);
    // Requeued now, b would end canceled inside the requeued job, which then could never complete.
    expect(() => m.queue.requeueJob(job, false)).toThrow(ConflictError);
    expect(() => m.queue.requeueJob(job, true)).toThrow(/still stopping/);
    expect(storedCounts(tm)).toEqual(before);
    expect(jobRec(tm, job).status).toBe('failed');

    complete(tm, w2, b.id);
    expect(taskRec(tm, b.id).status).toBe('canceled');
    expect(m.queue.requeueJob(job, false)).toBe(2);
    for (let t = claimTask(tm, w1); t; t = claimTask(tm, w1)) complete(tm, w1, t.id);
    expect(jobRec(tm, job).status).toBe('completed');
  });

  it('refuses an unknown job', () => {
    const tm = testManager();
    expect(() => tm.manager.queue.requeueJob('0'.repeat(24), false)).toThrow(NotFoundError);
    expect(() => tm.manager.queue.requeueJob('not-an-id', false)).toThrow(NotFoundError);
  });
});

describe('requeueTasks', () => {
  it('requeues the given tasks and clears their failures and blocklist entries', async () => {
    const tm = testManager({ config: { blocklist_threshold: 2, job_fail_share: 1 } });
    const m = tm.manager;
    const { job, w1 } = await jobWithFailures(tm);
    const t = tasksByName(tm, job);
    expect(m.queue.requeueTasks([t.a!.id, t.b!.id])).toBe(2);
    expect(taskRec(tm, t.a!.id).status).toBe('queued');
    expect(taskRec(tm, t.b!.id).status).toBe('queued');
    expect(failedBy(tm, t.b!.id)).toEqual([]);
    expect(m.repos.blocklist.list(job)).toEqual([]);
    expect(mustClaim(tm, w1).name).toBe('a');
  });

  it('changes nothing when one id is unknown', async () => {
    const tm = testManager({ config: { job_fail_share: 1 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    complete(tm, w, a.id);
    const before = { tasks: m.repos.tasks.listForJob(job), job: jobRec(tm, job), counts: storedCounts(tm) };

    const unknown = 'f'.repeat(24);
    expect(() => m.queue.requeueTasks([a.id, unknown])).toThrow(NotFoundError);
    expect(() => m.queue.requeueTasks([a.id, unknown])).toThrow(new RegExp(unknown));
    expect(() => m.queue.requeueTasks([a.id, '../etc'])).toThrow(NotFoundError);
    expect(() => m.queue.requeueTasks([])).toThrow(ValidationError);
    expect({ tasks: m.repos.tasks.listForJob(job), job: jobRec(tm, job), counts: storedCounts(tm) }).toEqual(before);
  });

  it('requeues a task of a completed job, which becomes queued again', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    complete(tm, w, a.id);
    expect(jobRec(tm, job).status).toBe('completed');
    expect(m.queue.requeueTasks([a.id])).toBe(1);
    expect(jobRec(tm, job).status).toBe('queued');
    expect(mustClaim(tm, w).id).toBe(a.id);
  });
});

describe('requeueWorker', () => {
  it("puts the worker's active task back in the queue", async () => {
    const tm = testManager();
    const m = tm.manager;
    submitCustom(tm, [{ name: 'a' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const t = mustClaim(tm, w1);
    expect(m.queue.requeueWorker(w2)).toBe(0);
    expect(m.queue.requeueWorker(w1)).toBe(1);
    expect(taskRec(tm, t.id)).toMatchObject({ status: 'queued', worker_id: null });
    expect(taskRec(tm, t.id).activity).toContain('requeued by an admin');
    expect(workerRec(tm, w1).current_task).toBeNull();
    expect(mustClaim(tm, w2).id).toBe(t.id);
    // The old worker's late report changes nothing (its lines would go to its own run).
    await expect(report(tm, w1, t.id, { task_status: 'completed' })).rejects.toThrow(/assigned to another worker/);
    expect(taskRec(tm, t.id).status).toBe('active');
  });

  it('refuses an unknown worker', () => {
    const tm = testManager();
    expect(() => tm.manager.queue.requeueWorker('a'.repeat(24))).toThrow(NotFoundError);
  });
});

describe('queue status', () => {
  it('has every status key, with zeroes, on an empty farm', () => {
    const tm = testManager();
    const s = tm.manager.queue.status();
    expect(s.tasks).toEqual(Object.fromEntries(TASK_STATUSES.map((k) => [k, 0])));
    expect(s.workers).toEqual(Object.fromEntries(WORKER_STATUSES.map((k) => [k || 'registered', 0])));
    expect(s.jobs).toEqual([]);
  });

  it('counts tasks per job and in total, and workers per status', async () => {
    const tm = testManager();
    const m = tm.manager;
    const j1 = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const j2 = submitCustom(tm, [{ name: 'x' }], { start_paused: true });
    const w = await addWorker(tm);
    await addWorker(tm, { stayStarting: true });
    complete(tm, w, mustClaim(tm, w).id);
    mustClaim(tm, w);

    const s = m.queue.status();
    expect(s.tasks).toEqual({ ...Object.fromEntries(TASK_STATUSES.map((k) => [k, 0])), queued: 1, active: 1, completed: 1, paused: 1 });
    expect(s.workers).toMatchObject({ awake: 1, starting: 1, offline: 0, registered: 0 });
    expect(s.jobs.map((j) => [j.id, j.status])).toEqual([
      [j1, 'active'],
      [j2, 'paused'],
    ]);
    for (const j of s.jobs) expect(Object.keys(j.tasks).sort()).toEqual([...TASK_STATUSES].sort());
    expect(s.jobs[1]!.tasks.paused).toBe(1);
    expect(JOB_STATUSES).toContain(s.jobs[0]!.status);

    expect(m.queue.status(j2).jobs.map((j) => j.id)).toEqual([j2]);
    expect(() => m.queue.status('0'.repeat(24))).toThrow(NotFoundError);
  });
});
