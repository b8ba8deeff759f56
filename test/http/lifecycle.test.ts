// Whole conversations the worker has with the manager: timeouts, a failing job, a shutdown mid-task.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { claim, expectError, readLog, submitJob, taskRec, workerRec } from '../helpers/protocol';

describe('worker protocol conversations', { timeout: 30_000 }, () => {
  it('a worker that timed out comes back: told it lost its task, then 423, ack, and work again', async () => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const t = await claim(w);
    s.clock.advance(s.config.worker_timeout_ms + 1000);
    s.manager.timeouts.check();
    expect(workerRec(s, w.id)).toMatchObject({ status: 'timeout', status_requested: 'awake', current_task: null });
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'queued', worker_id: null });

    const may = await w.call('GET', `/may-i-run/${t._id}`);
    expect(may.json).toEqual({ may_keep_running: false, reason: `task ${t._id} reassigned to another worker`, status_requested: 'awake' });
    expectError(await w.call('POST', `/tasks/${t._id}/update`, { task_status: 'completed', log: 'finished anyway' }), 409);
    expect(taskRec(s, ids.a!).status).toBe('queued');
    // Its lines still go to the run it had.
    expect(await readLog(s, t.job, t._id)).toMatch(/finished anyway\n$/);
    expect((await w.call('POST', `/tasks/${t._id}/return`)).status).toBe(204);
    expect(taskRec(s, ids.a!).status).toBe('queued');

    const gate = await w.call('POST', '/task');
    expect(gate.status).toBe(423);
    expect(gate.json).toEqual({ status_requested: 'awake' });
    expect((await w.call('POST', '/ack-status-change/awake')).status).toBe(204);
    expect((await claim(w))._id).toBe(ids.a);
  });

  it('a task whose worker stops pinging is failed by the timeout check and retried elsewhere', async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    const w1 = await registerWorker(s.url, { nickname: 'silent' });
    const w2 = await registerWorker(s.url, { nickname: 'spare' });
    await claim(w1);
    // The worker keeps talking, but never about its task.
    for (let elapsed = 0; elapsed <= s.config.task_timeout_ms; elapsed += 30_000) {
      s.clock.advance(30_000);
      expect((await w1.call('GET', '/status-change')).status).toBe(204);
      expect((await w2.call('GET', '/status-change')).status).toBe(204);
    }
    s.manager.timeouts.check();
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'soft-failed', worker_id: null });
    expect(workerRec(s, w1.id).status).toBe('timeout');
    expect(await readLog(s, jobId, ids.a!)).toMatch(/Task timed out/);
    expect((await w1.call('GET', `/may-i-run/${ids.a}`)).json).toMatchObject({ may_keep_running: false });
    expectError(await w1.call('POST', `/tasks/${ids.a}/update`, { task_status: 'completed' }), 409);
    const retry = await claim(w2);
    expect(retry._id).toBe(ids.a);
    expect(retry.failed_by_workers).toEqual([{ id: w1.id, identifier: `silent (${w1.id})` }]);
  });

  it('a failing job stops its other tasks: cancel-requested until the worker reports, queued ones canceled', async () => {
    const s = await testServer({ config: { task_fail_after_softfail_count: 1 } });
    const { jobId, ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const w1 = await registerWorker(s.url);
    const w2 = await registerWorker(s.url);
    expect((await claim(w1))._id).toBe(ids.a);
    expect((await claim(w2))._id).toBe(ids.b);

    expect((await w1.call('POST', `/tasks/${ids.a}/update`, { task_status: 'failed', activity: 'crashed' })).status).toBe(204);
    expect(taskRec(s, ids.a!).status).toBe('failed');
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('failed');
    expect(taskRec(s, ids.b!).status).toBe('cancel-requested');
    expect(taskRec(s, ids.c!).status).toBe('canceled');

    expect((await w2.call('GET', `/may-i-run/${ids.b}`)).json).toEqual({
      may_keep_running: false,
      reason: `task ${ids.b} in non-runnable status cancel-requested`,
    });
    expect((await w2.call('POST', `/tasks/${ids.b}/update`, { task_status: 'active', log: 'aborting' })).status).toBe(204);
    expect(taskRec(s, ids.b!).status).toBe('cancel-requested');
    expect((await w2.call('POST', `/tasks/${ids.b}/update`, { task_status: 'failed', log: 'aborted' })).status).toBe(204);
    expect(taskRec(s, ids.b!).status).toBe('canceled');
    expect(s.manager.repos.taskFailures.list(ids.b!)).toEqual([]);
    expect(await readLog(s, jobId, ids.b!)).toMatch(/aborting\naborted\n$/);

    expect((await w1.call('POST', '/task')).status).toBe(204);
    expect((await w2.call('POST', '/task')).status).toBe(204);
  });

  it('an immediate shutdown mid-task: may-i-run says no, the task is returned, ack and sign-off', async () => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url, { nickname: 'leaving' });
    await claim(w);
    s.manager.workers.requestStatus(w.id, 'shutdown');
    expect((await w.call('GET', `/may-i-run/${ids.a}`)).json).toEqual({
      may_keep_running: false,
      reason: 'worker status change to shutdown requested',
      status_requested: 'shutdown',
    });
    expect((await w.call('POST', `/tasks/${ids.a}/update`, { task_status: 'active', activity: 'stopping' })).status).toBe(204);
    expect((await w.call('POST', `/tasks/${ids.a}/return`)).status).toBe(204);
    expect(taskRec(s, ids.a!)).toMatchObject({
      status: 'queued',
      activity: `Re-queued task after unassigning from worker leaving (${w.id}): returned by worker`,
    });
    expect((await w.call('GET', '/status-change')).json).toEqual({ status_requested: 'shutdown' });
    expect((await w.call('POST', '/ack-status-change/shutdown')).status).toBe(204);
    expect((await w.call('POST', '/sign-off')).status).toBe(204);
    expect(workerRec(s, w.id)).toMatchObject({ status: 'offline', status_requested: '' });

    const w2 = await registerWorker(s.url);
    expect((await claim(w2))._id).toBe(ids.a);
  });
});
