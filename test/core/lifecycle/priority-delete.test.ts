// Priority changes take effect on the very next dispatch; delete removes a job with nothing
// running, with its tasks, counters, failures, blocklist entries and logs.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testManager } from '../../helpers/env';
import { addWorker, complete, countRows, fail, mustClaim, report, submitCustom, taskRec, tasksByName } from '../../helpers/domain';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/core/support/errors';
import { expectConsistent, jobStatus, snapshot, statuses } from './helpers';

describe('priority change', () => {
  it('re-orders dispatch at once', async () => {
    const tm = testManager();
    const m = tm.manager;
    const first = submitCustom(tm, [{ name: 'f1' }, { name: 'f2' }, { name: 'f3' }], { priority: 50 });
    const second = submitCustom(tm, [{ name: 's1' }, { name: 's2' }], { priority: 50 });
    const w = await addWorker(tm);
    const f1 = mustClaim(tm, w);
    expect(f1.name).toBe('f1');
    complete(tm, w, f1.id);

    const changed = m.jobActions.setPriority(second, 80);
    expect(changed.priority).toBe(80);
    expect(m.repos.jobs.get(second)!.priority).toBe(80);
    for (const t of Object.values(tasksByName(tm, second))) expect(t.job_priority).toBe(80);
    const s1 = mustClaim(tm, w);
    expect(s1.name).toBe('s1');
    complete(tm, w, s1.id);

    // And back down below the first job.
    m.jobActions.setPriority(second, 10);
    expect(mustClaim(tm, w).name).toBe('f2');
    expect(jobStatus(tm, first)).toBe('active');
  });

  it('does not disturb a running task', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    tm.manager.jobActions.setPriority(job, 99);
    expect(taskRec(tm, a.id).status).toBe('active');
    expect(taskRec(tm, a.id).worker_id).toBe(w);
    expect(tm.manager.reports.mayIRun(tm.manager.repos.workers.get(w)!, a.id).may_keep_running).toBe(true);
  });

  it('accepts 0 and 100 and refuses anything else, changing nothing', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    expect(tm.manager.jobActions.setPriority(job, 0).priority).toBe(0);
    expect(tm.manager.jobActions.setPriority(job, 100).priority).toBe(100);
    const before = snapshot(tm);
    for (const bad of [-1, 101, 2.5, '50', null, undefined, Number.NaN]) {
      expect(() => tm.manager.jobActions.setPriority(job, bad)).toThrow(ValidationError);
      expect(() => tm.manager.jobActions.setPriority(job, bad)).toThrow('priority: must be an integer from 0 to 100');
    }
    expect(snapshot(tm)).toEqual(before);
  });

  it('says which job is unknown', () => {
    const tm = testManager();
    expect(() => tm.manager.jobActions.setPriority('0123456789abcdef01234567', 10)).toThrow(NotFoundError);
    expect(() => tm.manager.jobActions.setPriority('nope', 10)).toThrow('job nope not found');
  });
});

describe('delete', () => {
  it('removes a finished job: tasks, counters, failures, blocklist entries and its logs', async () => {
    const tm = testManager({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b', parents: ['a'] }]);
    const keep = submitCustom(tm, [{ name: 'k' }], { priority: 10 });
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const a = mustClaim(tm, w1);
    await report(tm, w1, a.id, { log: 'rendering a' });
    fail(tm, w1, a.id);
    const again = mustClaim(tm, w2);
    expect(again.id).toBe(a.id);
    complete(tm, w2, a.id);
    complete(tm, w2, mustClaim(tm, w2).id);
    const k = mustClaim(tm, w2);
    expect(k.job_id).toBe(keep);
    expect(jobStatus(tm, job)).toBe('completed');
    expect(m.blocklist.list(job)).toHaveLength(1);
    await m.taskLogs.idle();
    const dir = m.taskLogs.dir(job);
    expect(existsSync(dir)).toBe(true);
    expect(existsSync(m.taskLogs.dir(keep))).toBe(true);

    m.jobActions.delete(job);
    expect(m.repos.jobs.get(job)).toBeUndefined();
    expect(m.repos.tasks.listForJob(job)).toEqual([]);
    expect(tm.db.prepare('SELECT COUNT(*) FROM job_task_counts WHERE job_id = ?').pluck().get(job)).toBe(0);
    expect(countRows(tm, 'task_failures')).toBe(0);
    expect(countRows(tm, 'task_parents')).toBe(0);
    expect(m.blocklist.list()).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    // The other job is untouched.
    expect(existsSync(m.taskLogs.dir(keep))).toBe(true);
    expect(statuses(tm, keep)).toEqual({ k: 'active' });
    expectConsistent(tm);
    expect(() => m.readModels.job(job)).toThrow(NotFoundError);
  });

  it('removes a queued, a paused and a canceled job', () => {
    const tm = testManager();
    const m = tm.manager;
    const queued = submitCustom(tm, [{ name: 'a' }]);
    const paused = submitCustom(tm, [{ name: 'a' }], { start_paused: true });
    const canceled = submitCustom(tm, [{ name: 'a' }]);
    m.jobActions.cancel(canceled);
    for (const id of [queued, paused, canceled]) m.jobActions.delete(id);
    expect(countRows(tm, 'jobs')).toBe(0);
    expect(countRows(tm, 'tasks')).toBe(0);
  });

  it('is refused while a task runs, until the cancel is done', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    await report(tm, w, a.id, { log: 'line' });
    await m.taskLogs.idle();
    const dir = m.taskLogs.dir(job);

    let before = snapshot(tm);
    expect(() => m.jobActions.delete(job)).toThrow(ConflictError);
    expect(() => m.jobActions.delete(job)).toThrow(`job ${job} has running tasks; cancel it and wait until it is canceled before deleting it`);
    expect(snapshot(tm)).toEqual(before);
    expect(existsSync(dir)).toBe(true);

    m.jobActions.cancel(job);
    before = snapshot(tm);
    expect(() => m.jobActions.delete(job)).toThrow(ConflictError);
    expect(() => m.jobActions.delete(job)).toThrow(`job ${job} is being canceled; wait until its running tasks have stopped before deleting it`);
    expect(snapshot(tm)).toEqual(before);
    expect(existsSync(dir)).toBe(true);

    complete(tm, w, a.id);
    expect(jobStatus(tm, job)).toBe('canceled');
    m.jobActions.delete(job);
    expect(m.repos.jobs.get(job)).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
  });

  it('says which job is unknown', () => {
    const tm = testManager();
    expect(() => tm.manager.jobActions.delete('0123456789abcdef01234567')).toThrow('job 0123456789abcdef01234567 not found');
    expect(() => tm.manager.jobActions.delete('../etc')).toThrow(NotFoundError);
  });
});
