// Canceling a job: waiting tasks are canceled at once, running ones are asked to stop, and the job
// stays cancel-requested until its worker reports or returns the task.
import { describe, expect, it } from 'vitest';
import { testManager } from '../../helpers/env';
import { addWorker, CALLER, claim, complete, fail, jobRec, mustClaim, report, statusOf, submitCustom, taskRec, tasksByName, workerRec } from '../../helpers/domain';
import { expectConsistent, jobStatus, statuses } from './helpers';

describe('cancel', () => {
  it('cancels queued and soft-failed tasks at once and asks the running one to stop', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const a = mustClaim(tm, w1);
    const b = mustClaim(tm, w2);
    fail(tm, w2, b.id);
    expect(statuses(tm, job)).toEqual({ a: 'active', b: 'soft-failed', c: 'queued', d: 'queued' });
    expect(jobStatus(tm, job)).toBe('active');

    const returned = m.jobActions.cancel(job);
    expect(returned.status).toBe('cancel-requested');
    expect(statuses(tm, job)).toEqual({ a: 'cancel-requested', b: 'canceled', c: 'canceled', d: 'canceled' });
    expect(jobStatus(tm, job)).toBe('cancel-requested');
    expect(jobRec(tm, job).activity).toBe('canceled by an admin');
    // A soft-failed task no longer says it will be retried.
    expect(taskRec(tm, b.id).activity).toBe('Canceled: the job was canceled by an admin');
    expect(taskRec(tm, a.id).activity).not.toMatch(/^Canceled/);
    // The running task still belongs to its worker until the worker reports.
    expect(taskRec(tm, a.id).worker_id).toBe(w1);
    expect(workerRec(tm, w1).current_task).toBe(a.id);
    expectConsistent(tm);

    // Nothing of the job is handed out any more.
    expect(claim(tm, w2)).toEqual({ kind: 'none' });
    const w3 = await addWorker(tm);
    expect(claim(tm, w3)).toEqual({ kind: 'none' });

    // Once the running task has ended, the job still says who canceled it.
    complete(tm, w1, a.id);
    expect(jobRec(tm, job)).toMatchObject({ status: 'canceled', activity: 'canceled by an admin' });
  });

  it('tells the worker of a canceled running task to stop through may-i-run', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    expect(m.reports.mayIRun(workerRec(tm, w), a.id)).toEqual({ may_keep_running: true });

    m.jobActions.cancel(job);
    expect(m.reports.mayIRun(workerRec(tm, w), a.id)).toEqual({
      may_keep_running: false,
      reason: `task ${a.id} in non-runnable status cancel-requested`,
    });
  });

  for (const how of ['completed', 'failed', 'canceled'] as const) {
    it(`ends canceled when the worker reports the stopped task ${how}`, async () => {
      const tm = testManager();
      const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
      const w = await addWorker(tm);
      await addWorker(tm);
      const a = mustClaim(tm, w);
      tm.manager.jobActions.cancel(job);

      // A progress update changes nothing: the cancel is not done yet.
      report(tm, w, a.id, { task_status: 'active', activity: 'still rendering' });
      expect(statusOf(tm, a.id)).toBe('cancel-requested');
      expect(jobStatus(tm, job)).toBe('cancel-requested');

      report(tm, w, a.id, { task_status: how });
      expect(statuses(tm, job)).toEqual({ a: 'canceled', b: 'canceled' });
      expect(jobStatus(tm, job)).toBe('canceled');
      expect(workerRec(tm, w).current_task).toBeNull();
      // A failure reported for a canceled task is not a failure of the worker.
      expect(tm.manager.repos.taskFailures.list(a.id)).toEqual([]);
      expectConsistent(tm);
    });
  }

  it('ends canceled when the worker returns the stopped task', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    tm.manager.jobActions.cancel(job);
    tm.manager.reports.returnTask(workerRec(tm, w), a.id);
    expect(statusOf(tm, a.id)).toBe('canceled');
    expect(jobStatus(tm, job)).toBe('canceled');
    expect(workerRec(tm, w).current_task).toBeNull();
    expectConsistent(tm);
  });

  it('waits for every running task before the job is canceled', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const a = mustClaim(tm, w1);
    const b = mustClaim(tm, w2);
    tm.manager.jobActions.cancel(job);
    expect(statuses(tm, job)).toEqual({ a: 'cancel-requested', b: 'cancel-requested', c: 'canceled' });

    complete(tm, w1, a.id);
    expect(jobStatus(tm, job)).toBe('cancel-requested');
    tm.manager.reports.returnTask(workerRec(tm, w2), b.id);
    expect(jobStatus(tm, job)).toBe('canceled');
    expectConsistent(tm);
  });

  it('cancels a queued job with nothing running at once', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b', parents: ['a'] }]);
    expect(tm.manager.jobActions.cancel(job).status).toBe('canceled');
    expect(statuses(tm, job)).toEqual({ a: 'canceled', b: 'canceled' });
    expect(jobStatus(tm, job)).toBe('canceled');
    const w = await addWorker(tm);
    expect(claim(tm, w)).toEqual({ kind: 'none' });
    expectConsistent(tm);
  });

  it('cancels a paused job: its paused tasks are canceled', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    tm.manager.jobActions.pause(job);
    expect(statuses(tm, job)).toEqual({ a: 'paused', b: 'paused' });
    tm.manager.jobActions.cancel(job);
    expect(statuses(tm, job)).toEqual({ a: 'canceled', b: 'canceled' });
    expect(jobStatus(tm, job)).toBe('canceled');
    expectConsistent(tm);
  });

  it('cancels a job submitted paused', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }], { start_paused: true });
    expect(jobStatus(tm, job)).toBe('paused');
    expect(statuses(tm, job)).toEqual({ a: 'paused' });
    tm.manager.jobActions.cancel(job);
    expect(statuses(tm, job)).toEqual({ a: 'canceled' });
    expect(jobStatus(tm, job)).toBe('canceled');
  });

  it('cancels a pause-requested job: paused tasks canceled, the running one asked to stop', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    tm.manager.jobActions.pause(job);
    expect(jobStatus(tm, job)).toBe('pause-requested');
    tm.manager.jobActions.cancel(job);
    expect(statuses(tm, job)).toEqual({ a: 'cancel-requested', b: 'canceled' });
    expect(jobStatus(tm, job)).toBe('cancel-requested');
    complete(tm, w, a.id);
    expect(statuses(tm, job)).toEqual({ a: 'canceled', b: 'canceled' });
    expect(jobStatus(tm, job)).toBe('canceled');
  });

  it('leaves completed tasks of a canceled job completed', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    complete(tm, w, mustClaim(tm, w).id);
    tm.manager.jobActions.cancel(job);
    expect(statuses(tm, job)).toEqual({ a: 'completed', b: 'canceled' });
    expect(jobStatus(tm, job)).toBe('canceled');
  });

  it('ignores a late report from the worker after the cancel is done', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    tm.manager.jobActions.cancel(job);
    report(tm, w, a.id, { task_status: 'canceled' });
    await report(tm, w, a.id, { task_status: 'completed', log: 'late line' });
    expect(statusOf(tm, a.id)).toBe('canceled');
    expect(jobStatus(tm, job)).toBe('canceled');
    expect(tasksByName(tm, job).a!.log_tail).toBe('late line');
    // The worker is free for other work.
    tm.manager.workers.seen(workerRec(tm, w), CALLER, { wake: true });
    expect(workerRec(tm, w).current_task).toBeNull();
  });
});
