// The Flamenco 3 worker API (/api/v3/worker): each answer in the shape the Go worker reads, the
// same core rules as the 2.5 protocol, and the lifecycle cases where the two workers differ.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/support/clock';
import { basicAuth, registerWorker, request, testServer } from '../helpers/env';
import { readLog, submitJob, taskRec, UNKNOWN_ID } from '../helpers/protocol';
import { expectNoContent, f3Claim, f3Request, registerF3 } from '../helpers/f3-worker';

describe('/api/v3/worker: a Flamenco 3 worker', { timeout: 30_000 }, () => {
  it('registers, signs on, asks for work and runs a task, with the shapes its client reads', async () => {
    const s = await testServer();
    const w = await registerF3(s.url, { name: 'render-01' });
    expect(w.id).toMatch(/^[0-9a-f]{24}$/);
    expect(w.signOnAnswer!.headers.get('content-type')).toMatch(/^application\/json/);
    expect(w.signOnAnswer!.json).toEqual({ status_requested: 'awake' });
    expect(s.manager.repos.workers.get(w.id)).toMatchObject({ nickname: 'render-01', status: 'awake', software: 'Flamenco/3.9-beta1 (cf286e71)' });

    expectNoContent(await w.call('POST', '/task'));
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    const t = await f3Claim(w);
    // Exactly AssignedTask's keys; the task's v2 type `sleep` is `misc` for it.
    expect(t).toEqual({
      uuid: ids.a,
      job: jobId,
      name: 'a',
      status: 'active',
      priority: 0,
      job_priority: 50,
      job_type: 'custom',
      task_type: 'misc',
      commands: [{ name: 'echo', parameters: { message: 'task a' }, total_step_count: 0 }],
      steps_completed: 0,
      steps_total: 1,
    });

    expectNoContent(await w.call('POST', `/task/${ids.a}`, { activity: 'Started', taskStatus: 'active' }));
    expectNoContent(await w.call('POST', `/task/${ids.a}`, { log: 'going to run:\n\n    echo hi\npid=4711 > hi\n' }));
    expectNoContent(await w.call('POST', `/task/${ids.a}`, { activity: 'Progress', steps_completed: 1 }));
    expect(taskRec(s, ids.a!).task_progress).toBe(100);
    expectNoContent(await w.call('POST', `/task/${ids.a}`, { activity: 'Completed', taskStatus: 'completed' }));
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'completed', activity: 'Completed' });
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('completed');

    // Its log lines get the time in front, as Flamenco Worker 2.5 writes them.
    const log = await readLog(s, jobId, ids.a!);
    expect(log).toMatch(/^\S+Z: Manager assigned task/m);
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z: pid=4711 > hi$/m);
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z: going to run:$/m);
  });

  it('answers an update for a task it no longer runs with 409 and changes nothing', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    const { ids } = submitJob(s, [{ name: 'a' }]);
    await f3Claim(w);
    expectNoContent(await w.call('POST', `/task/${ids.a}`, { activity: 'Completed', taskStatus: 'completed' }));
    const before = taskRec(s, ids.a!);
    // The same update again (its client could not see the first answer), then a late log line.
    for (const body of [{ activity: 'Completed', taskStatus: 'completed' }, { log: 'pid=1 > late' }, { taskStatus: 'failed', activity: 'Failed: x' }]) {
      const r = await w.call('POST', `/task/${ids.a}`, body);
      expect(r.status, r.text).toBe(409);
      expect(r.json).toEqual({ code: 409, message: expect.stringContaining('no longer running') });
    }
    expect(taskRec(s, ids.a!)).toEqual(before);
    // Another worker's task: 409 as well.
    const other = await registerF3(s.url);
    const { ids: more } = submitJob(s, [{ name: 'b' }]);
    await f3Claim(other);
    expect((await w.call('POST', `/task/${more.b}`, { activity: 'x' })).status).toBe(409);
  });

  it('completes a cancel itself after may-i-run says no: the worker sends nothing more', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    const { jobId, ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }]);
    await f3Claim(w);
    const ok = await w.call('GET', `/task/${ids.a}/may-i-run`);
    expect(ok.json).toEqual({ mayKeepRunning: true, reason: '', statusChangeRequested: false });

    s.manager.jobActions.cancel(jobId);
    expect(taskRec(s, ids.a!).status).toBe('cancel-requested');
    const no = await w.call('GET', `/task/${ids.a}/may-i-run`);
    expect(no.status).toBe(200);
    expect(no.json).toEqual({ mayKeepRunning: false, reason: expect.stringContaining('cancel-requested'), statusChangeRequested: false });
    expect(taskRec(s, ids.a!).status).toBe('canceled');
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('canceled');
    // The run's log says how it ended: the worker writes nothing more.
    expect((await readLog(s, jobId, ids.a!)).trimEnd().split('\n').at(-1)).toMatch(
      /Manager took this run away from worker .*: the task was canceled; the worker was told to stop$/,
    );
    // A late update of the killed task: refused, the task stays canceled.
    expect((await w.call('POST', `/task/${ids.a}`, { log: 'pid=1 > killed' })).status).toBe(409);
    expect(taskRec(s, ids.a!).status).toBe('canceled');
    // A task the manager does not know (any error would mean "yes" to the worker): no.
    for (const id of [UNKNOWN_ID, 'not-an-id']) {
      const r = await w.call('GET', `/task/${id}/may-i-run`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ mayKeepRunning: false });
    }
  });

  it('requeues a task it stopped for an immediate sleep request, and the worker then goes to sleep', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    const { ids } = submitJob(s, [{ name: 'a' }]);
    await f3Claim(w);
    s.manager.workers.requestStatus(w.id, 'asleep', { lazy: false });
    const no = await w.call('GET', `/task/${ids.a}/may-i-run`);
    expect(no.json).toEqual({ mayKeepRunning: false, reason: expect.stringContaining('asleep'), statusChangeRequested: true });
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'queued', worker_id: null });
    const next = await w.call('POST', '/task');
    expect(next.status).toBe(423);
    expect(next.json).toEqual({ status_requested: 'asleep' });
    expectNoContent(await w.call('POST', '/state-changed', { status: 'asleep' }));
    expect(s.manager.repos.workers.get(w.id)).toMatchObject({ status: 'asleep', status_requested: '' });
    expectNoContent(await w.call('GET', '/state'));

    // Woken up: its state poll says so, and it takes work again.
    s.manager.workers.requestStatus(w.id, 'awake', { lazy: false });
    expect((await w.call('GET', '/state')).json).toEqual({ status_requested: 'awake' });
    expectNoContent(await w.call('POST', '/state-changed', { status: 'awake' }));
    expect((await f3Claim(w)).uuid).toBe(ids.a);
  });

  it('keeps a request the worker did not fulfil: waking up while asked to sleep is not an acknowledgement', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep', { lazy: true });
    expectNoContent(await w.call('POST', '/state-changed', { status: 'awake' }));
    expect(s.manager.repos.workers.get(w.id)!.status_requested).toBe('asleep');
    expect((await w.call('POST', '/task')).json).toEqual({ status_requested: 'asleep' });
    expect((await w.call('POST', '/state-changed', { status: 'offline' })).status).toBe(400);
  });

  it('tells it to go offline for shutdown, and offers restart only when it said it can restart', async () => {
    const s = await testServer();
    const plain = await registerF3(s.url);
    const restartable = await registerF3(s.url, { canRestart: true });
    expect(() => s.manager.workers.requestStatus(plain.id, 'restart', { lazy: false })).toThrow(/cannot restart/);
    s.manager.workers.requestStatus(plain.id, 'shutdown', { lazy: true });
    s.manager.workers.requestStatus(restartable.id, 'restart', { lazy: true });
    expect((await plain.call('POST', '/task')).json).toEqual({ status_requested: 'offline' });
    expect((await restartable.call('POST', '/task')).json).toEqual({ status_requested: 'restart' });
    // It flushes, signs off and exits; the sign-off clears the request.
    expectNoContent(await plain.call('POST', '/sign-off'));
    expect(s.manager.repos.workers.get(plain.id)).toMatchObject({ status: 'offline', status_requested: '' });
    // A Worker 2.5 never says it can restart.
    const v2 = await registerWorker(s.url);
    expect(() => s.manager.workers.requestStatus(v2.id, 'restart', { lazy: false })).toThrow(/cannot restart/);
  });

  it('starts a worker in the state asked of it at sign-on', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep', { lazy: false });
    expectNoContent(await w.call('POST', '/state-changed', { status: 'asleep' }));
    expectNoContent(await w.call('POST', '/sign-off'));
    const again = await w.call('POST', '/sign-on', { name: w.name, supported_task_types: ['misc'], software_version: '3.9', can_restart: false });
    expect(again.json).toEqual({ status_requested: 'asleep' });
  });
});

describe('/api/v3/worker: one queue with Worker 2.5', { timeout: 30_000 }, () => {
  it("ends a task's log with the end the worker reported, as Worker 2.5's own last lines do", async () => {
    const s = await testServer();
    const w = await registerF3(s.url, { name: 'node-f3' });
    const { jobId, ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }]);
    const a = await f3Claim(w);
    expectNoContent(await w.call('POST', `/task/${a.uuid}`, { log: 'pid=1 > rendering' }));
    expectNoContent(await w.call('POST', `/task/${a.uuid}`, { taskStatus: 'completed', activity: 'Completed' }));
    const lines = (await readLog(s, jobId, a.uuid)).trimEnd().split('\n');
    expect(lines.slice(-2)).toEqual([
      expect.stringMatching(/Z: pid=1 > rendering$/),
      expect.stringMatching(new RegExp(`Z: Worker node-f3 \\(${w.id}\\) reported the task completed: Completed$`)),
    ]);
    const b = await f3Claim(w);
    expect(b.uuid).toBe(ids.b);
    expectNoContent(await w.call('POST', `/task/${b.uuid}`, { taskStatus: 'failed', activity: 'exit status 1' }));
    expect((await readLog(s, jobId, b.uuid)).trimEnd().split('\n').at(-1)).toMatch(/reported the task failed: exit status 1$/);
  });

  it('hands each task out once to workers of both generations', async () => {
    const s = await testServer();
    const f3 = [await registerF3(s.url), await registerF3(s.url)];
    const v2 = [await registerWorker(s.url, { types: ['sleep'] }), await registerWorker(s.url, { types: ['sleep'] })];
    const names = Array.from({ length: 12 }, (_, i) => ({ name: `t${i}` }));
    const { jobId } = submitJob(s, names);
    const got: string[] = [];
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([...f3.map((w) => w.call('POST', '/task')), ...v2.map((w) => w.call('POST', '/task'))]);
      const tasks = answers.map((r, i) => (r.status === 200 ? (i < 2 ? r.json.uuid : r.json._id) : undefined));
      for (const [i, id] of tasks.entries()) {
        if (!id) continue;
        got.push(id);
        const r =
          i < 2
            ? await f3[i]!.call('POST', `/task/${id}`, { taskStatus: 'completed', activity: 'Completed' })
            : await v2[i - 2]!.call('POST', `/tasks/${id}/update`, { task_status: 'completed' });
        expect(r.status).toBe(204);
      }
    }
    expect(got).toHaveLength(12);
    expect(new Set(got).size).toBe(12);
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('completed');
  });
});

describe('/api/v3/worker: manager restarts', { timeout: 30_000 }, () => {
  it('after a restart on the same database, the queued updates of a running task finish it, and it runs once', async () => {
    const first = await testServer();
    const w = await registerF3(first.url);
    const v2 = await registerWorker(first.url, { types: ['sleep'] });
    const { jobId, ids } = submitJob(first, [{ name: 'a' }, { name: 'b' }]);
    const t = await f3Claim(w);
    expectNoContent(await w.call('POST', `/task/${t.uuid}`, { activity: 'Started', taskStatus: 'active' }));
    // serve goes away (kill -9: nothing more is written) and starts again on the same data.
    first.server.closeAllConnections();
    await new Promise((r) => first.server.close(r));
    const s = await testServer({ dataDir: first.dataDir, clock: first.clock });
    const again = (m: string, p: string, b?: unknown) => f3Request(s.url, m, p, basicAuth(w.id, w.secret), b);
    // Until its queue is flushed the worker asks for work: it gets none, the other worker gets the other task.
    expectNoContent(await again('POST', '/task'));
    const o = await request(s.url, 'POST', '/task', { auth: v2.auth });
    expect(o.status).toBe(200);
    expect(o.json._id).not.toBe(t.uuid);
    // The flush: what it could not send while serve was down, in order.
    expectNoContent(await again('POST', `/task/${t.uuid}`, { log: 'pid=9 > Saved frame' }));
    expectNoContent(await again('POST', `/task/${t.uuid}`, { activity: 'Completed', taskStatus: 'completed' }));
    expect(taskRec(s, t.uuid).status).toBe('completed');
    const log = await readLog(s, jobId, t.uuid);
    expect(log.match(/Manager assigned task/g)).toHaveLength(1);
    expect(ids.a === t.uuid || ids.b === t.uuid).toBe(true);
  });
});

describe('/api/v3/worker: timeouts, blocklists and tags', { timeout: 30_000 }, () => {
  it('times a silent worker out, requeues its task, and refuses its late updates', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    const { ids } = submitJob(s, [{ name: 'a' }]);
    await f3Claim(w);
    s.clock.advance(s.config.worker_timeout_ms + 1000);
    s.manager.timeouts.check();
    expect(s.manager.repos.workers.get(w.id)!.status).toBe('timeout');
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'queued', worker_id: null });
    expect((await w.call('POST', `/task/${ids.a}`, { activity: 'Completed', taskStatus: 'completed' })).status).toBe(409);
    expect(taskRec(s, ids.a!).status).toBe('queued');
  });

  it("fails a task whose worker went silent past task_timeout, and refuses the worker's late report", async () => {
    const s = await testServer({ config: { task_fail_after_softfail_count: 1 } });
    const w = await registerF3(s.url);
    const { ids } = submitJob(s, [{ name: 'a' }]);
    await f3Claim(w);
    // Its may-i-run polls keep the task alive…
    s.clock.advance(s.config.task_timeout_ms / 2);
    expect((await w.call('GET', `/task/${ids.a}/may-i-run`)).json.mayKeepRunning).toBe(true);
    s.clock.advance(s.config.task_timeout_ms / 2 + 1000);
    s.manager.timeouts.checkTasks();
    expect(taskRec(s, ids.a!).status).toBe('active');
    // …until they stop.
    s.clock.advance(s.config.task_timeout_ms);
    s.manager.timeouts.checkTasks();
    expect(taskRec(s, ids.a!).status).toBe('failed');
    expect((await w.call('POST', `/task/${ids.a}`, { activity: 'Completed', taskStatus: 'completed' })).status).toBe(409);
    expect(taskRec(s, ids.a!).status).toBe('failed');
  });

  it('follows its sleep schedule: asked to sleep after its task, woken when the schedule ends', async () => {
    const noon = new Date(2026, 11, 7, 12, 0).getTime();
    const s = await testServer({ clock: new ManualClock(noon) });
    const w = await registerF3(s.url);
    s.manager.sleepSchedules.set(w.id, '', '11:00', '13:00');
    expect(s.manager.sleepSchedules.check()).toBe(1);
    expect(s.manager.repos.workers.get(w.id)).toMatchObject({ status_requested: 'asleep', lazy_status_request: true });
    expect((await w.call('POST', '/task')).json).toEqual({ status_requested: 'asleep' });
    expectNoContent(await w.call('POST', '/state-changed', { status: 'asleep' }));
    s.clock.set(new Date(2026, 11, 7, 13, 1).getTime());
    expect(s.manager.sleepSchedules.check()).toBe(1);
    expect((await w.call('GET', '/state')).json).toEqual({ status_requested: 'awake' });
    expectNoContent(await w.call('POST', '/state-changed', { status: 'awake' }));
    expect(s.manager.repos.workers.get(w.id)).toMatchObject({ status: 'awake', status_requested: '' });
  });

  it('blocklists a worker that keeps failing', async () => {
    const s = await testServer({ config: { blocklist_threshold: 2 } });
    const w = await registerF3(s.url);
    await registerF3(s.url);
    const { jobId, ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    for (const name of ['a', 'b']) {
      const t = await f3Claim(w);
      expect(t.uuid).toBe(ids[name]);
      expectNoContent(await w.call('POST', `/task/${t.uuid}`, { activity: 'Failed: exit 1', log: 'Failed: exit 1', taskStatus: 'failed' }));
    }
    expect(s.manager.repos.blocklist.list(jobId).map((b) => b.worker_id)).toEqual([w.id]);
    expectNoContent(await w.call('POST', '/task'));
  });

  it('gives a tagged job only to workers with its tag', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    const { ids } = submitJob(s, [{ name: 'gpu' }], { tag: 'gpu' });
    expectNoContent(await w.call('POST', '/task'));
    s.manager.workerTags.change(w.id, { set: ['gpu'] });
    expect((await f3Claim(w)).uuid).toBe(ids.gpu);
  });
});
