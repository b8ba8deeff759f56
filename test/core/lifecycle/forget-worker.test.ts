// Forgetting a worker puts its running tasks back first, so nothing is left assigned to a worker
// that no longer exists.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/core/support/errors';
import { testManager } from '../../helpers/env';
import { addWorker, fail, loginAs, mustClaim, submitCustom, taskRec } from '../../helpers/domain';
import { expectConsistent, jobStatus, statuses } from './helpers';

describe('forget a worker', () => {
  it('requeues its running task, then removes it, its blocklist entries and its credentials', async () => {
    const tm = testManager({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm, { nickname: 'second' });
    const secret = 'secret-forgotten-0123456789';
    const w3 = (await m.workers.register({ secret, platform: 'linux', supported_task_types: ['sleep'], nickname: 'w3' }, { address: '', software: '' })).id;
    fail(tm, w1, mustClaim(tm, w1).id);
    // w1 failed a and is blocklisted for the job; w2 takes a over.
    const a = mustClaim(tm, w2);
    expect(a.name).toBe('a');
    expect(m.blocklist.list(job).map((e) => e.worker)).toEqual([w1]);

    expect(m.workers.forget(w2)).toBe(1);
    expect(m.repos.workers.get(w2)).toBeUndefined();
    expect(taskRec(tm, a.id)).toMatchObject({ status: 'queued', worker_id: null });
    expect(taskRec(tm, a.id).activity).toBe(`Re-queued task after unassigning from worker second (${w2}): worker forgotten`);
    expect(statuses(tm, job)).toEqual({ a: 'queued', b: 'queued', c: 'queued' });
    expectConsistent(tm);

    expect(m.workers.forget(w1)).toBe(0);
    expect(m.blocklist.list(job)).toEqual([]);
    expect(await loginAs(tm, w1, 'anything')).toBeUndefined();

    // Its tasks go to whoever asks next.
    expect(m.workers.forget(w3)).toBe(0);
    expect(await loginAs(tm, w3, secret)).toBeUndefined();
    const w4 = await addWorker(tm);
    expect(mustClaim(tm, w4).name).toBe('a');
  });

  it('ends a task that was being canceled, and the job with it', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    mustClaim(tm, w);
    tm.manager.jobActions.cancel(job);
    expect(tm.manager.workers.forget(w)).toBe(0);
    expect(statuses(tm, job)).toEqual({ a: 'canceled' });
    expect(jobStatus(tm, job)).toBe('canceled');
  });

  it('pauses a task of a pause-requested job', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    mustClaim(tm, w);
    tm.manager.jobActions.pause(job);
    expect(tm.manager.workers.forget(w)).toBe(1);
    expect(statuses(tm, job)).toEqual({ a: 'paused' });
    expect(jobStatus(tm, job)).toBe('paused');
  });

  it('says which worker is unknown', () => {
    const tm = testManager();
    expect(() => tm.manager.workers.forget('0123456789abcdef01234567')).toThrow(NotFoundError);
    expect(() => tm.manager.workers.forget('nope')).toThrow('worker nope not found');
  });
});
