// Requeueing a job (all tasks, or only the failed ones): the chosen tasks go back to queued with
// their failure lists and the job's blocklist entries cleared, and the job is queued again.
import { describe, expect, it } from 'vitest';
import { testManager } from '../../helpers/env';
import { addWorker, claim, complete, fail, failedBy, mustClaim, submitCustom, taskRec, tasksByName, workerRec } from '../../helpers/domain';
import { ConflictError } from '../../../src/core/support/errors';
import { expectConsistent, jobStatus, snapshot, statuses } from './helpers';

describe('requeue a whole job', () => {
  it('runs a completed job again', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b', parents: ['a'] }]);
    const w = await addWorker(tm);
    complete(tm, w, mustClaim(tm, w).id);
    complete(tm, w, mustClaim(tm, w).id);
    expect(jobStatus(tm, job)).toBe('completed');

    expect(m.queue.requeueJob(job, false)).toBe(2);
    expect(statuses(tm, job)).toEqual({ a: 'queued', b: 'queued' });
    expect(jobStatus(tm, job)).toBe('queued');
    // Dependencies hold again: b waits for a.
    expect(tasksByName(tm, job).b!.pending_parents).toBe(1);
    expectConsistent(tm);
    const a = mustClaim(tm, w);
    expect(a.name).toBe('a');
    expect(claim(tm, await addWorker(tm))).toEqual({ kind: 'none' });
    complete(tm, w, a.id);
    complete(tm, w, mustClaim(tm, w).id);
    expect(jobStatus(tm, job)).toBe('completed');
  });

  it('takes running tasks away from their workers', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    expect(m.queue.requeueJob(job, false)).toBe(1);
    expect(statuses(tm, job)).toEqual({ a: 'queued', b: 'queued' });
    expect(taskRec(tm, a.id).worker_id).toBeNull();
    expect(workerRec(tm, w).current_task).toBeNull();
    expect(jobStatus(tm, job)).toBe('queued');
    expect(m.reports.mayIRun(workerRec(tm, w), a.id)).toEqual({
      may_keep_running: false,
      reason: `task ${a.id} reassigned to another worker`,
    });
    expectConsistent(tm);
  });

  it("clears failure lists and the job's blocklist entries, not other jobs'", async () => {
    const tm = testManager({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const other = submitCustom(tm, [{ name: 'x' }]);
    const w1 = await addWorker(tm);
    await addWorker(tm);
    const a = mustClaim(tm, w1);
    fail(tm, w1, a.id);
    const x = mustClaim(tm, w1);
    expect(x.job_id).toBe(other);
    fail(tm, w1, x.id);
    expect(failedBy(tm, a.id)).toEqual([w1]);
    expect(
      m.blocklist
        .list()
        .map((b) => b.job)
        .sort(),
    ).toEqual([job, other].sort());

    m.queue.requeueJob(job, false);
    expect(failedBy(tm, a.id)).toEqual([]);
    expect(m.blocklist.list().map((b) => b.job)).toEqual([other]);
    expect(failedBy(tm, x.id)).toEqual([w1]);
    // w1 may run the job's tasks again.
    expect(mustClaim(tm, w1).job_id).toBe(job);
  });

  it('resumes a paused job', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    tm.manager.jobActions.pause(job);
    expect(tm.manager.queue.requeueJob(job, false)).toBe(1);
    expect(statuses(tm, job)).toEqual({ a: 'queued' });
    expect(jobStatus(tm, job)).toBe('queued');
  });

  it('runs a canceled job again', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    tm.manager.jobActions.cancel(job);
    expect(tm.manager.queue.requeueJob(job, false)).toBe(2);
    expect(statuses(tm, job)).toEqual({ a: 'queued', b: 'queued' });
    expect(jobStatus(tm, job)).toBe('queued');
    const w = await addWorker(tm);
    expect(mustClaim(tm, w).name).toBe('a');
  });

  it('is refused while the job is being canceled, and changes nothing', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    mustClaim(tm, w);
    tm.manager.jobActions.cancel(job);
    const before = snapshot(tm);
    expect(() => tm.manager.queue.requeueJob(job, false)).toThrow(ConflictError);
    expect(() => tm.manager.queue.requeueJob(job, false)).toThrow(`job ${job} is being canceled; wait until it is canceled`);
    expect(snapshot(tm)).toEqual(before);
  });
});

describe('requeue only the failed tasks', () => {
  it('requeues the failed tasks of a failed job and the tasks the failure canceled', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1, blocklist_threshold: 1 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    complete(tm, w2, mustClaim(tm, w2).id);
    const b = mustClaim(tm, w1);
    fail(tm, w1, b.id);
    expect(statuses(tm, job)).toEqual({ a: 'completed', b: 'failed', c: 'canceled' });
    expect(jobStatus(tm, job)).toBe('failed');
    expect(m.blocklist.list(job)).toHaveLength(1);

    expect(m.queue.requeueJob(job, true)).toBe(2);
    expect(statuses(tm, job)).toEqual({ a: 'completed', b: 'queued', c: 'queued' });
    expect(jobStatus(tm, job)).toBe('queued');
    expect(failedBy(tm, b.id)).toEqual([]);
    expect(m.blocklist.list(job)).toEqual([]);
    expectConsistent(tm);
    complete(tm, w1, mustClaim(tm, w1).id);
    complete(tm, w1, mustClaim(tm, w1).id);
    expect(jobStatus(tm, job)).toBe('completed');
  });

  it('requeues failed and soft-failed tasks of a running job; the rest stays as it is', async () => {
    const tm = testManager({ config: { job_fail_share: 1 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const a = mustClaim(tm, w1);
    const b = mustClaim(tm, w2);
    fail(tm, w2, b.id);
    expect(statuses(tm, job)).toEqual({ a: 'active', b: 'soft-failed', c: 'queued', d: 'queued' });
    expect(m.queue.requeueJob(job, true)).toBe(1);
    expect(statuses(tm, job)).toEqual({ a: 'active', b: 'queued', c: 'queued', d: 'queued' });
    expect(failedBy(tm, b.id)).toEqual([]);
    expect(jobStatus(tm, job)).toBe('active');
    expect(taskRec(tm, a.id).worker_id).toBe(w1);
    expectConsistent(tm);
  });

  it('changes nothing when nothing failed', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    complete(tm, w, mustClaim(tm, w).id);
    complete(tm, w, mustClaim(tm, w).id);
    const before = snapshot(tm);
    expect(tm.manager.queue.requeueJob(job, true)).toBe(0);
    expect(snapshot(tm)).toEqual(before);
    expect(jobStatus(tm, job)).toBe('completed');
  });

  it('queues a paused job again with all its waiting tasks, so none is left stuck', async () => {
    const tm = testManager({ config: { job_fail_share: 1, task_fail_after_softfail_count: 1 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const w = await addWorker(tm);
    await addWorker(tm);
    fail(tm, w, mustClaim(tm, w).id);
    m.jobActions.pause(job);
    expect(statuses(tm, job)).toEqual({ a: 'failed', b: 'paused', c: 'paused' });

    expect(m.queue.requeueJob(job, true)).toBe(1);
    expect(statuses(tm, job)).toEqual({ a: 'queued', b: 'queued', c: 'queued' });
    expect(jobStatus(tm, job)).toBe('queued');
    expectConsistent(tm);
    for (let i = 0; i < 3; i++) complete(tm, w, mustClaim(tm, w).id);
    expect(jobStatus(tm, job)).toBe('completed');
  });

  it('leaves a paused job paused when nothing failed', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    tm.manager.jobActions.pause(job);
    const before = snapshot(tm);
    expect(tm.manager.queue.requeueJob(job, true)).toBe(0);
    expect(snapshot(tm)).toEqual(before);
  });
});

describe('requeue single tasks', () => {
  it('requeues a completed task of a completed job; the job runs again', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    complete(tm, w, mustClaim(tm, w).id);
    complete(tm, w, mustClaim(tm, w).id);
    const b = tasksByName(tm, job).b!;
    expect(tm.manager.queue.requeueTasks([b.id])).toBe(1);
    expect(statuses(tm, job)).toEqual({ a: 'completed', b: 'queued' });
    expect(jobStatus(tm, job)).toBe('queued');
    complete(tm, w, mustClaim(tm, w).id);
    expect(jobStatus(tm, job)).toBe('completed');
  });
});
