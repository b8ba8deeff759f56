// Pausing and resuming a job: waiting tasks are paused, running ones run to the end, nothing is
// handed out while paused, and resume puts the paused tasks back in the queue.
import { describe, expect, it } from 'vitest';
import { testManager } from '../../helpers/env';
import { addWorker, claim, complete, fail, jobRec, mustClaim, submitCustom, tasksByName, workerRec } from '../../helpers/domain';
import { expectConsistent, jobStatus, statuses } from './helpers';

describe('pause', () => {
  it('pauses waiting tasks, lets the running one finish, then the job is paused', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd', parents: ['a'] }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const a = mustClaim(tm, w1);
    fail(tm, w2, mustClaim(tm, w2).id);
    expect(statuses(tm, job)).toEqual({ a: 'active', b: 'soft-failed', c: 'queued', d: 'queued' });

    expect(m.jobActions.pause(job).status).toBe('pause-requested');
    expect(statuses(tm, job)).toEqual({ a: 'active', b: 'paused', c: 'paused', d: 'paused' });
    expect(jobStatus(tm, job)).toBe('pause-requested');
    expect(jobRec(tm, job).activity).toBe('paused by an admin');
    expectConsistent(tm);

    // The running task may keep running; nothing new is handed out.
    expect(m.reports.mayIRun(workerRec(tm, w1), a.id)).toEqual({ may_keep_running: true });
    expect(claim(tm, w2)).toEqual({ kind: 'none' });

    complete(tm, w1, a.id);
    expect(statuses(tm, job)).toEqual({ a: 'completed', b: 'paused', c: 'paused', d: 'paused' });
    expect(jobStatus(tm, job)).toBe('paused');
    expect(claim(tm, w1)).toEqual({ kind: 'none' });
    expect(claim(tm, w2)).toEqual({ kind: 'none' });
    expectConsistent(tm);
  });

  it('pauses a queued job with nothing running at once', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    expect(tm.manager.jobActions.pause(job).status).toBe('paused');
    expect(statuses(tm, job)).toEqual({ a: 'paused', b: 'paused' });
    const w = await addWorker(tm);
    expect(claim(tm, w)).toEqual({ kind: 'none' });
    expectConsistent(tm);
  });

  it("hands out other jobs' tasks while one job is paused", async () => {
    const tm = testManager();
    const paused = submitCustom(tm, [{ name: 'p' }], { priority: 90 });
    submitCustom(tm, [{ name: 'other' }], { priority: 10 });
    tm.manager.jobActions.pause(paused);
    const w = await addWorker(tm);
    expect(mustClaim(tm, w).name).toBe('other');
  });

  it('pauses a task that soft-fails while the job is pause-requested', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await addWorker(tm);
    await addWorker(tm);
    const a = mustClaim(tm, w1);
    tm.manager.jobActions.pause(job);
    fail(tm, w1, a.id);
    expect(statuses(tm, job)).toEqual({ a: 'paused', b: 'paused' });
    expect(jobStatus(tm, job)).toBe('paused');
    expectConsistent(tm);
  });
});

describe('resume', () => {
  it('puts paused tasks back in the queue; the job is queued and runs again', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b', parents: ['a'] }]);
    m.jobActions.pause(job);
    const resumed = m.jobActions.resume(job);
    expect(resumed.status).toBe('queued');
    expect(resumed.activity).toBe('resumed by an admin');
    expect(statuses(tm, job)).toEqual({ a: 'queued', b: 'queued' });
    expectConsistent(tm);

    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    expect(a.name).toBe('a');
    expect(jobStatus(tm, job)).toBe('active');
    complete(tm, w, a.id);
    complete(tm, w, mustClaim(tm, w).id);
    expect(jobStatus(tm, job)).toBe('completed');
  });

  it('makes the job active when a task still runs (resumed while pause-requested)', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const a = mustClaim(tm, w1);
    m.jobActions.pause(job);
    expect(jobStatus(tm, job)).toBe('pause-requested');
    expect(m.jobActions.resume(job).status).toBe('active');
    expect(statuses(tm, job)).toEqual({ a: 'active', b: 'queued' });
    expect(mustClaim(tm, w2).name).toBe('b');
    complete(tm, w1, a.id);
    expect(jobStatus(tm, job)).toBe('active');
    expectConsistent(tm);
  });

  it('starts a job submitted paused', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }], { start_paused: true });
    const w = await addWorker(tm);
    expect(claim(tm, w)).toEqual({ kind: 'none' });
    tm.manager.jobActions.resume(job);
    expect(statuses(tm, job)).toEqual({ a: 'queued', b: 'queued' });
    expect(mustClaim(tm, w).name).toBe('a');
  });

  it('completes a job whose last task finishes while it is being paused', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    tm.manager.jobActions.pause(job);
    expect(jobStatus(tm, job)).toBe('pause-requested');
    complete(tm, w, a.id);
    expect(jobStatus(tm, job)).toBe('completed');
    expect(() => tm.manager.jobActions.resume(job)).toThrow(/only a paused or pause-requested job can be resumed/);
    expect(tasksByName(tm, job).a!.status).toBe('completed');
  });
});
