// The worker, sleep-schedule and blocklist routes of the admin API over real HTTP.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { registerF3 } from '../helpers/f3-worker';
import { api, dbSnapshot, expectApiError, expectJson, fetchTask, submit, UNKNOWN_ID } from './helpers';

describe('GET /api/workers and /api/workers/:id', { timeout: 30_000 }, () => {
  it('lists and shows workers', async () => {
    const s = await testServer();
    expect(expectJson(await api(s, 'GET', '/api/workers'))).toEqual([]);
    const w = await registerWorker(s.url, { nickname: 'node-1', types: ['sleep', 'blender-render'] });
    const list = expectJson(await api(s, 'GET', '/api/workers'));
    expect(list).toEqual(s.manager.readModels.workers());
    expect(list).toEqual([
      {
        id: w.id,
        nickname: 'node-1',
        status: 'starting',
        status_requested: null,
        lazy_status_request: false,
        platform: 'linux',
        address: '127.0.0.1',
        software: 'Flamenco-Worker/2.5',
        generation: 'v2',
        version: '2.5',
        can_restart: false,
        supported_task_types: ['sleep', 'blender-render'],
        tags: [],
        current_task: null,
        current_task_name: null,
        current_job: null,
        current_job_name: null,
        last_seen: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        silent: null,
      },
    ]);
    expect(expectJson(await api(s, 'GET', `/api/workers/${w.id}`))).toEqual(list[0]);
    // A Flamenco 3 worker: its generation and version, and whether it can restart.
    const f3 = await registerF3(s.url, { canRestart: true });
    expect(expectJson(await api(s, 'GET', `/api/workers/${f3.id}`))).toMatchObject({
      software: 'Flamenco/3.9-beta1 (cf286e71)',
      generation: 'v3',
      version: '3.9-beta1 (cf286e71)',
      can_restart: true,
      supported_task_types: ['blender', 'ffmpeg', 'file-management', 'misc'],
    });
    expectApiError(await api(s, 'GET', `/api/workers/${UNKNOWN_ID}`), 404, `worker ${UNKNOWN_ID} not found`);
    expectApiError(await api(s, 'GET', '/api/workers/xyz'), 404, 'worker xyz not found');
  });
});

describe('POST /api/workers/:id/status', { timeout: 30_000 }, () => {
  it('asks a worker to change status; the worker learns it from /task', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const body = expectJson(await api(s, 'POST', `/api/workers/${w.id}/status`, { body: { status: 'asleep', lazy: true } }));
    expect(body).toEqual(s.manager.readModels.worker(w.id));
    expect(body).toMatchObject({ status_requested: 'asleep', lazy_status_request: true });
    const t = await w.call('POST', '/task');
    expect(t.status).toBe(423);
    expect(t.json).toEqual({ status_requested: 'asleep' });
    expect(expectJson(await api(s, 'POST', `/api/workers/${w.id}/status`, { body: { status: 'awake' } }))).toMatchObject({ status_requested: 'awake', lazy_status_request: false });
  });

  it('refuses bad bodies with 400, unknown workers with 404, an offline worker with 409', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const before = dbSnapshot(s);
    const bad: [unknown, string][] = [
      [{ status: 'sleepy' }, '"sleepy" cannot be requested; use one of awake, asleep, shutdown, restart'],
      [{}, 'status: required (awake, asleep, shutdown or restart)'],
      [{ status: 3 }, 'status: must be a string'],
      [{ status: 'asleep', lazy: 'yes' }, 'lazy: must be true or false'],
      [['asleep'], 'the body must be a JSON object'],
    ];
    for (const [b, message] of bad) expectApiError(await api(s, 'POST', `/api/workers/${w.id}/status`, { body: b }), 400, message);
    expectApiError(await api(s, 'POST', `/api/workers/${w.id}/status`), 400, 'the request needs a JSON body');
    expect(dbSnapshot(s)).toEqual(before);
    expectApiError(await api(s, 'POST', `/api/workers/${UNKNOWN_ID}/status`, { body: { status: 'asleep' } }), 404, `worker ${UNKNOWN_ID} not found`);
    // Restart only of a worker that said it can (a Flamenco 3 Worker with a restart exit code).
    expectApiError(
      await api(s, 'POST', `/api/workers/${w.id}/status`, { body: { status: 'restart' } }),
      409,
      `worker ${w.id} cannot restart by itself (it did not say so at sign-on); request "shutdown" instead`,
    );

    expect((await w.call('POST', '/sign-off')).status).toBe(204);
    expectApiError(
      await api(s, 'POST', `/api/workers/${w.id}/status`, { body: { status: 'awake' } }),
      409,
      `worker ${w.id} is offline; only "asleep" can be requested for its next sign-on`,
    );
    expect(expectJson(await api(s, 'POST', `/api/workers/${w.id}/status`, { body: { status: 'asleep' } })).status_requested).toBe('asleep');
  });
});

describe('POST /api/workers/:id/requeue and DELETE /api/workers/:id', { timeout: 30_000 }, () => {
  it("requeues a worker's running task", async () => {
    const s = await testServer();
    const { ids } = submit(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    await fetchTask(w);
    expect(expectJson(await api(s, 'POST', `/api/workers/${w.id}/requeue`))).toEqual({ requeued: 1 });
    expect(s.manager.readModels.task(ids.a!)).toMatchObject({ status: 'queued', worker: null });
    expect(expectJson(await api(s, 'POST', `/api/workers/${w.id}/requeue`))).toEqual({ requeued: 0 });
    expectApiError(await api(s, 'POST', `/api/workers/${UNKNOWN_ID}/requeue`), 404, `worker ${UNKNOWN_ID} not found`);
  });

  it('forgets a worker after requeueing its task; its credentials stop working', async () => {
    const s = await testServer();
    const { ids } = submit(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    await fetchTask(w);
    expect(expectJson(await api(s, 'DELETE', `/api/workers/${w.id}`))).toEqual({ requeued: 1 });
    expect(s.manager.readModels.task(ids.a!).status).toBe('queued');
    expectApiError(await api(s, 'GET', `/api/workers/${w.id}`), 404);
    // Its credentials no longer work: the worker is told to shut down (see worker-refusals.ts).
    expect((await w.call('POST', '/sign-on', {})).status).toBe(401);
    expect((await w.call('POST', '/task')).json).toEqual({ status_requested: 'shutdown' });
    expectApiError(await api(s, 'DELETE', `/api/workers/${w.id}`), 404, `worker ${w.id} not found`);
  });
});

describe('/api/workers/:id/sleep-schedule', { timeout: 30_000 }, () => {
  it('shows, sets and removes a schedule', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const path = `/api/workers/${w.id}/sleep-schedule`;
    expect(expectJson(await api(s, 'GET', path))).toBeNull();
    const set = expectJson(await api(s, 'PUT', path, { body: { days: 'mo tu we th fr', start: '22:00', end: '6:00' } }));
    expect(set).toEqual({ worker_id: w.id, days: ['mo', 'tu', 'we', 'th', 'fr'], start: '22:00', end: '06:00' });
    expect(expectJson(await api(s, 'GET', path))).toEqual(set);
    // Without days: every day.
    expect(expectJson(await api(s, 'PUT', path, { body: { start: '01:00', end: '02:00' } })).days).toEqual([]);
    // Every worker's schedule in one answer (the dashboard's workers page).
    const other = await registerWorker(s.url);
    await api(s, 'PUT', `/api/workers/${other.id}/sleep-schedule`, { body: { days: 'sa su', start: '20:00', end: '08:00' } });
    const all = expectJson(await api(s, 'GET', '/api/sleep-schedules'));
    expect(all).toHaveLength(2);
    expect(all).toContainEqual({ worker_id: w.id, days: [], start: '01:00', end: '02:00' });
    expect(all).toContainEqual({ worker_id: other.id, days: ['sa', 'su'], start: '20:00', end: '08:00' });
    const del = await api(s, 'DELETE', path);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect(expectJson(await api(s, 'GET', path))).toBeNull();
  });

  it('refuses bad values with 400 naming the field, unknown workers with 404', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const path = `/api/workers/${w.id}/sleep-schedule`;
    const bad: [unknown, string][] = [
      [{ start: '22:00' }, 'start and end: required, as HH:MM'],
      [{ start: '25:00', end: '06:00' }, 'start: "25:00" is not a time HH:MM (00:00–23:59)'],
      [{ start: '22:00', end: '22:00' }, 'start and end must differ'],
      [{ days: 'someday', start: '22:00', end: '06:00' }, 'days: "someday" is not a day (use su mo tu we th fr sa)'],
      [{ days: ['mo'], start: '22:00', end: '06:00' }, 'days: must be a string'],
      [{ start: 2200, end: '06:00' }, 'start: must be a string'],
    ];
    for (const [b, message] of bad) expectApiError(await api(s, 'PUT', path, { body: b }), 400, message);
    expect(expectJson(await api(s, 'GET', path))).toBeNull();
    const unknown = `/api/workers/${UNKNOWN_ID}/sleep-schedule`;
    expectApiError(await api(s, 'GET', unknown), 404, `worker ${UNKNOWN_ID} not found`);
    expectApiError(await api(s, 'PUT', unknown, { body: { start: '22:00', end: '06:00' } }), 404, `worker ${UNKNOWN_ID} not found`);
    expectApiError(await api(s, 'DELETE', unknown), 404, `worker ${UNKNOWN_ID} not found`);
  });
});

describe('/api/blocklist', { timeout: 30_000 }, () => {
  it('lists entries (all, or of one job) and clears them by job, worker and task type', async () => {
    const s = await testServer({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
    const { job } = submit(s, [{ name: 'a' }, { name: 'b', type: 'debug' }, { name: 'c' }]);
    const other = submit(s, [{ name: 'x' }], { priority: 10 });
    const w1 = await registerWorker(s.url, { nickname: 'node-1' });
    const w2 = await registerWorker(s.url, { nickname: 'node-2' });
    for (const w of [w1, w2]) {
      const t = await fetchTask(w);
      expect((await w.call('POST', `/tasks/${t._id}/update`, { task_status: 'failed' })).status).toBe(204);
    }
    const t = await fetchTask(w1);
    expect(t.job).toBe(job);
    expect(t.task_type).toBe('debug');
    await w1.call('POST', `/tasks/${t._id}/update`, { task_status: 'failed' });

    const all = expectJson(await api(s, 'GET', '/api/blocklist'));
    expect(all).toEqual(s.manager.blocklist.list());
    expect(all.map((e: any) => [e.job, e.task_type, e.worker_nickname]).sort()).toEqual(
      [
        [job, 'debug', 'node-1'],
        [job, 'sleep', 'node-1'],
        [job, 'sleep', 'node-2'],
      ].sort(),
    );
    expect(all[0]).toEqual({ job, task_type: expect.any(String), worker: expect.any(String), worker_nickname: expect.any(String), created: expect.any(String) });
    expect(expectJson(await api(s, 'GET', `/api/blocklist?job=${other.job}`))).toEqual([]);
    expect(expectJson(await api(s, 'GET', `/api/blocklist?job=${job}`))).toHaveLength(3);

    expect(expectJson(await api(s, 'DELETE', `/api/blocklist?job=${job}&worker=${w1.id}&task_type=debug`))).toEqual({ removed: 1 });
    expect(expectJson(await api(s, 'DELETE', `/api/blocklist?job=${job}&worker=${w2.id}`))).toEqual({ removed: 1 });
    expect(expectJson(await api(s, 'DELETE', `/api/blocklist?job=${job}&task_type=sleep`))).toEqual({ removed: 1 });
    expect(expectJson(await api(s, 'DELETE', `/api/blocklist?job=${job}`))).toEqual({ removed: 0 });
    expect(expectJson(await api(s, 'GET', '/api/blocklist'))).toEqual([]);
  });

  it('needs a job to clear, and answers 404 for an unknown one', async () => {
    const s = await testServer();
    expectApiError(await api(s, 'DELETE', '/api/blocklist'), 400, 'job: required query parameter');
    expectApiError(await api(s, 'DELETE', `/api/blocklist?job=${UNKNOWN_ID}`), 404, `job ${UNKNOWN_ID} not found`);
    expectApiError(await api(s, 'GET', `/api/blocklist?job=${UNKNOWN_ID}`), 404, `job ${UNKNOWN_ID} not found`);
    expectApiError(await api(s, 'GET', '/api/blocklist?job=xyz'), 404, 'job xyz not found');
  });
});

describe('GET /api/queue-status and /api/job-types', { timeout: 30_000 }, () => {
  it('counts tasks, jobs and workers', async () => {
    const s = await testServer();
    const { job } = submit(s, [{ name: 'a' }, { name: 'b' }]);
    const w = await registerWorker(s.url);
    await fetchTask(w);
    const q = expectJson(await api(s, 'GET', '/api/queue-status'));
    expect(q).toEqual(s.manager.queue.status());
    expect(q.tasks).toMatchObject({ queued: 1, active: 1 });
    expect(q.workers).toMatchObject({ awake: 1 });
    expect(q.jobs).toEqual([
      { id: job, name: 'test job', job_type: 'custom', status: 'active', priority: 50, created: expect.any(String), tasks: expect.objectContaining({ queued: 1, active: 1 }) },
    ]);
    expect(expectJson(await api(s, 'GET', `/api/queue-status?job=${job}`)).jobs).toHaveLength(1);
    expectApiError(await api(s, 'GET', `/api/queue-status?job=${UNKNOWN_ID}`), 404, `job ${UNKNOWN_ID} not found`);
  });

  it('lists the job types with their settings', async () => {
    const s = await testServer();
    const types = expectJson(await api(s, 'GET', '/api/job-types'));
    expect(types.map((t: { job_type: string }) => t.job_type)).toEqual(expect.arrayContaining(['blender-render', 'exec-command', 'sleep', 'custom']));
    for (const t of types)
      expect(Object.keys(t)).toEqual(['job_type', 'description', ...(t.addon_label ? ['addon_label'] : []), ...(t.admin_only ? ['admin_only'] : []), 'settings']);
    expect(types.filter((t: { admin_only?: boolean }) => t.admin_only).map((t: { job_type: string }) => t.job_type)).toEqual(['custom', 'exec-command']);
  });
});
