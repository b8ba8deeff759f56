// The job routes of the admin API over real HTTP: submit, list, show (a page of the tasks at a
// time), cancel, pause, resume, requeue, priority and delete, with their errors.
import { describe, expect, it } from 'vitest';
import { JOB_STATUS_TASKS_SQL, JOB_TASKS_SQL } from '../../src/db/tasks-repo';
import { customJob, registerWorker, testManager, testServer } from '../helpers/env';
import { api, dbSnapshot, expectApiError, expectJson, fetchTask, submit, UNKNOWN_ID } from './helpers';

const NOT_IDS = ['xyz', '0123456789ABCDEF01234567', '0123456789abcdef0123456'];

describe('POST /api/jobs', { timeout: 30_000 }, () => {
  it('stores a valid job and answers 201 with its id and task count', async () => {
    const s = await testServer();
    const doc = customJob([{ name: 'a' }, { name: 'b', parents: ['a'] }], { name: 'shot 12', priority: 70, metadata: { project: 'sprite' } });
    const body = expectJson(await api(s, 'POST', '/api/jobs', { body: doc }), 201);
    expect(body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), tasks: 2, warnings: ['no registered worker runs task type "sleep"'] });
    const job = expectJson(await api(s, 'GET', `/api/jobs/${body.id}`));
    expect(job).toMatchObject({ id: body.id, name: 'shot 12', job_type: 'custom', status: 'queued', priority: 70, metadata: { project: 'sprite' } });
    expect(job.task_list.map((t: { name: string }) => t.name)).toEqual(['a', 'b']);
  });

  it('compiles a job type from its settings', async () => {
    const s = await testServer();
    const r = await api(s, 'POST', '/api/jobs', { body: { name: 'sleepy', job_type: 'sleep', settings: { frames: '1-10', chunk_size: 5, time_in_seconds: 1 } } });
    expect(expectJson(r, 201).tasks).toBe(2);
  });

  const invalid: [string, unknown, string | RegExp][] = [
    [
      'a bad frame range',
      { name: 'x', job_type: 'sleep', settings: { frames: '1-x', chunk_size: 1, time_in_seconds: 1 } },
      'settings.frames: "1-x" in "1-x" is not a frame or a range a-b',
    ],
    ['no name', { job_type: 'custom', tasks: customJob([{ name: 'a' }]).tasks }, 'name: must be a string of 1 to 200 characters'],
    ['an unknown job type', { name: 'x', job_type: 'nope' }, /^job_type: unknown job type "nope"/],
    ['a priority out of range', { ...customJob([{ name: 'a' }]), priority: 101 }, 'priority: must be an integer from 0 to 100'],
    ['an unknown parent', customJob([{ name: 'a', parents: ['ghost'] }]), 'tasks[0].parents: "ghost" is not a task of this job'],
    [
      'a cycle',
      customJob([
        { name: 'a', parents: ['b'] },
        { name: 'b', parents: ['a'] },
      ]),
      /^tasks: the parents form a cycle/,
    ],
    ['an unknown field', { ...customJob([{ name: 'a' }]), colour: 'red' }, /^colour: unknown field/],
    ['not an object', [1, 2], 'the job document must be a JSON object'],
  ];
  for (const [what, doc, message] of invalid) {
    it(`refuses a job with ${what}: 400 naming the field, nothing stored`, async () => {
      const s = await testServer();
      const before = dbSnapshot(s);
      expectApiError(await api(s, 'POST', '/api/jobs', { body: doc }), 400, message);
      expect(dbSnapshot(s)).toEqual(before);
    });
  }

  it('refuses malformed JSON and an empty body with 400', async () => {
    const s = await testServer();
    expectApiError(await api(s, 'POST', '/api/jobs', { raw: '{"name": ', headers: { 'Content-Type': 'application/json' } }), 400, /^malformed JSON: /);
    expectApiError(await api(s, 'POST', '/api/jobs'), 400, 'the request needs a JSON body');
    expect(expectJson(await api(s, 'GET', '/api/jobs'))).toEqual([]);
  });
});

describe('GET /api/jobs and /api/jobs/:id', { timeout: 30_000 }, () => {
  it('lists jobs, optionally by status, and shows one with its tasks', async () => {
    const s = await testServer();
    const a = submit(s, [{ name: 'a1' }, { name: 'a2' }], { name: 'first' });
    const b = submit(s, [{ name: 'b1' }], { name: 'second' });
    s.manager.jobActions.pause(b.job);

    const list = expectJson(await api(s, 'GET', '/api/jobs'));
    expect(list).toEqual(s.manager.readModels.jobs());
    expect(list.map((j: { id: string }) => j.id)).toEqual([a.job, b.job]);
    expect(list[0]).toEqual({
      id: a.job,
      name: 'first',
      job_type: 'custom',
      status: 'queued',
      priority: 50,
      created: expect.any(String),
      updated: expect.any(String),
      activity: '',
      tag: null,
      metadata: {},
      submitter_platform: null,
      tasks: { queued: 2, active: 0, completed: 0, failed: 0, 'soft-failed': 0, canceled: 0, 'cancel-requested': 0, paused: 0 },
      actions: ['cancel', 'pause', 'requeue', 'delete'],
      run_started: null,
      run_ended: null,
      estimated_end: null,
      mean_task_ms: null,
    });
    expect(expectJson(await api(s, 'GET', '/api/jobs?status=paused')).map((j: { id: string }) => j.id)).toEqual([b.job]);
    expect(expectJson(await api(s, 'GET', '/api/jobs?status=completed'))).toEqual([]);
    expectApiError(await api(s, 'GET', '/api/jobs?status=bogus'), 400, /^status: "bogus" is not a job status/);

    const detail = expectJson(await api(s, 'GET', `/api/jobs/${a.job}`));
    expect(detail).toEqual(s.manager.readModels.job(a.job));
    expect(detail.task_list.map((t: { id: string }) => t.id)).toEqual([a.ids.a1, a.ids.a2]);
  });

  it('refuses a limit that is not a whole number from 1 to 1000000000 with 400', async () => {
    const s = await testServer();
    const { job } = submit(s, [{ name: 'a' }]);
    for (const bad of ['0', '-1', '1.5', 'x', '1000000001', '99999999999999999999']) {
      const message = `limit: "${bad}" is not a whole number from 1 to 1000000000`;
      expectApiError(await api(s, 'GET', `/api/jobs/${job}?limit=${bad}`), 400, message);
      expectApiError(await api(s, 'GET', `/api/jobs?limit=${bad}`), 400, message);
    }
    expect(expectJson(await api(s, 'GET', `/api/jobs/${job}?limit=1000000000`)).task_list).toHaveLength(1);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    const s = await testServer();
    expectApiError(await api(s, 'GET', `/api/jobs/${UNKNOWN_ID}`), 404, `job ${UNKNOWN_ID} not found`);
    for (const id of NOT_IDS) expectApiError(await api(s, 'GET', `/api/jobs/${id}`), 404, `job ${id} not found`);
  });
});

describe('GET /api/jobs/:id?offset=&limit=: a page of the tasks', { timeout: 30_000 }, () => {
  /** A job of 250 tasks t000 … t249, the first `done` of them completed over HTTP, in creation order. */
  async function pagedJob(done = 0) {
    const s = await testServer();
    const names = Array.from({ length: 250 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    const { job } = submit(
      s,
      names.map((name) => ({ name })),
      { name: 'long' },
    );
    const w = await registerWorker(s.url);
    for (let i = 0; i < done; i++) expect((await w.call('POST', `/tasks/${(await fetchTask(w))._id}/update`, { task_status: 'completed' })).status).toBe(204);
    return { s, job, names };
  }
  const page = async (s: Awaited<ReturnType<typeof pagedJob>>['s'], job: string, query: string) => {
    const r = await api(s, 'GET', `/api/jobs/${job}?${query}`);
    const body = expectJson(r);
    const total = Object.values(body.tasks as Record<string, number>).reduce((a, b) => a + b, 0);
    return { names: body.task_list.map((t: { name: string }) => t.name), omitted: r.headers.get('x-omitted'), total, counts: body.tasks };
  };

  it('answers the limit tasks from the offset, in creation order; the counts say how many there are', async () => {
    const { s, job, names } = await pagedJob();
    expect(await page(s, job, 'limit=100&offset=100')).toMatchObject({ names: names.slice(100, 200), omitted: '150', total: 250 });
    expect(await page(s, job, 'offset=200&limit=100')).toMatchObject({ names: names.slice(200), omitted: '200', total: 250 });
    expect(await page(s, job, 'offset=249')).toMatchObject({ names: ['t249'], omitted: '249' });
    expect(await page(s, job, 'offset=250&limit=100')).toMatchObject({ names: [], omitted: '250', total: 250 });
    expect(await page(s, job, 'offset=1000000000')).toMatchObject({ names: [], omitted: '250' });
    // Without an offset, or at 0, the first tasks as before.
    expect(await page(s, job, 'limit=100')).toMatchObject({ names: names.slice(0, 100), omitted: '150' });
    expect(await page(s, job, 'limit=100&offset=0')).toMatchObject({ names: names.slice(0, 100), omitted: '150' });
    expect(await page(s, job, '')).toMatchObject({ names, omitted: '0' });
    // The same page the CLI's views read.
    expect(expectJson(await api(s, 'GET', `/api/jobs/${job}?limit=3&offset=7`))).toEqual(s.manager.readModels.job(job, { limit: 3, offset: 7 }));
  });

  it('pages the tasks of one status with task_status', async () => {
    const { s, job, names } = await pagedJob(5);
    const completed = await page(s, job, 'task_status=completed&offset=2&limit=2');
    expect(completed).toMatchObject({ names: names.slice(2, 4), omitted: '3' });
    expect(completed.counts).toMatchObject({ completed: 5, queued: 245 });
    expect(await page(s, job, 'task_status=queued&limit=100&offset=200')).toMatchObject({ names: names.slice(205), omitted: '200' });
    expect(await page(s, job, 'task_status=queued&offset=245')).toMatchObject({ names: [], omitted: '245' });
  });

  it('refuses an offset that is not a whole number from 0 to 1000000000 with 400', async () => {
    const { s, job } = await pagedJob();
    for (const bad of ['-1', '1.5', '1e3', 'x', '', ' 1', '1000000001', '99999999999999999999']) {
      expectApiError(await api(s, 'GET', `/api/jobs/${job}?limit=10&offset=${encodeURIComponent(bad)}`), 400, `offset: "${bad}" is not a whole number from 0 to 1000000000`);
    }
  });

  it("reads only the page: both queries walk an index in creation order, with no sort of the job's tasks", () => {
    const tm = testManager();
    for (const [sql, args] of [
      [JOB_TASKS_SQL, ['j', 100, 200]],
      [JOB_STATUS_TASKS_SQL, ['j', 'queued', 100, 200]],
    ] as const) {
      const details = (tm.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((p) => p.detail);
      expect(details, sql).toEqual([expect.stringMatching(/^SEARCH tasks USING INDEX tasks_job_(seq|status) \(job_id=\?/)]);
    }
  });
});

describe('job actions', { timeout: 30_000 }, () => {
  it('cancel: 200 with the job; a running task is refused by /may-i-run until the worker reports', async () => {
    const s = await testServer();
    const { job, ids } = submit(s, [{ name: 'a' }, { name: 'b' }]);
    const w = await registerWorker(s.url);
    const t = await fetchTask(w);
    expect(t._id).toBe(ids.a);

    const body = expectJson(await api(s, 'POST', `/api/jobs/${job}/cancel`));
    expect(body).toEqual(s.manager.readModels.jobSummary(job));
    expect(body.status).toBe('cancel-requested');
    expect(body.task_list).toBeUndefined();
    expect(body.tasks).toMatchObject({ 'cancel-requested': 1, canceled: 1 });

    const may = await w.call('GET', `/may-i-run/${ids.a}`);
    expect(may.status).toBe(200);
    expect(may.json).toEqual({ may_keep_running: false, reason: `task ${ids.a} in non-runnable status cancel-requested` });
    expect((await w.call('POST', `/tasks/${ids.a}/return`)).status).toBe(204);
    expect(expectJson(await api(s, 'GET', `/api/jobs/${job}`)).status).toBe('canceled');

    const before = dbSnapshot(s);
    expectApiError(await api(s, 'POST', `/api/jobs/${job}/cancel`), 409, `job ${job} is canceled; only a queued, active, paused or pause-requested job can be canceled`);
    expect(dbSnapshot(s)).toEqual(before);
  });

  it('pause and resume: 200 with the job; nothing handed out while paused', async () => {
    const s = await testServer();
    const { job } = submit(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    expect(expectJson(await api(s, 'POST', `/api/jobs/${job}/pause`)).status).toBe('paused');
    expect((await w.call('POST', '/task')).status).toBe(204);
    expectApiError(await api(s, 'POST', `/api/jobs/${job}/pause`), 409, `job ${job} is paused; only a queued or active job can be paused`);
    const resumed = expectJson(await api(s, 'POST', `/api/jobs/${job}/resume`));
    expect(resumed.status).toBe('queued');
    expect(resumed.tasks).toMatchObject({ queued: 1 });
    expectApiError(await api(s, 'POST', `/api/jobs/${job}/resume`), 409, `job ${job} is queued; only a paused or pause-requested job can be resumed`);
    expect((await w.call('POST', '/task')).status).toBe(200);
  });

  it('a task handed back over HTTP into a pause-requested job follows the job', async () => {
    const s = await testServer();
    const { job, ids } = submit(s, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await registerWorker(s.url);
    const w2 = await registerWorker(s.url);
    await fetchTask(w1);
    expect(expectJson(await api(s, 'POST', `/api/jobs/${job}/pause`)).status).toBe('pause-requested');
    expect((await w1.call('POST', '/sign-off')).status).toBe(204);
    const after = expectJson(await api(s, 'GET', `/api/jobs/${job}`));
    expect(after.status).toBe('paused');
    expect(after.task_list.map((t: { status: string }) => t.status)).toEqual(['paused', 'paused']);
    expect((await w2.call('POST', '/task')).status).toBe(204);
    await api(s, 'POST', `/api/jobs/${job}/resume`);
    expect((await fetchTask(w2))._id).toBe(ids.a);
  });

  it('requeue: the whole job, or only failed tasks; body checked', async () => {
    const s = await testServer({ config: { task_fail_after_softfail_count: 1 } });
    const { job, ids } = submit(s, [{ name: 'a' }, { name: 'b' }]);
    const w = await registerWorker(s.url);
    const t = await fetchTask(w);
    expect((await w.call('POST', `/tasks/${t._id}/update`, { task_status: 'failed' })).status).toBe(204);
    expect(s.manager.readModels.job(job).status).toBe('failed');

    for (const bad of ['{"failed_only": "yes"}', '[true]', 'nope']) {
      expectApiError(await api(s, 'POST', `/api/jobs/${job}/requeue`, { raw: bad, headers: { 'Content-Type': 'application/json' } }), 400);
    }
    expect(expectJson(await api(s, 'POST', `/api/jobs/${job}/requeue`, { body: { failed_only: true } }))).toEqual({ requeued: 2 });
    expect(s.manager.readModels.job(job).status).toBe('queued');
    expect(s.manager.readModels.task(ids.a!).failed_by_workers).toEqual([]);

    // No body at all: the whole job.
    expect(expectJson(await api(s, 'POST', `/api/jobs/${job}/requeue`))).toEqual({ requeued: 0 });
    const done = await fetchTask(w);
    expect((await w.call('POST', `/tasks/${done._id}/update`, { task_status: 'completed' })).status).toBe(204);
    expect(expectJson(await api(s, 'POST', `/api/jobs/${job}/requeue`, { body: {} }))).toEqual({ requeued: 1 });
    expectApiError(await api(s, 'POST', `/api/jobs/${UNKNOWN_ID}/requeue`), 404, `job ${UNKNOWN_ID} not found`);

    await fetchTask(w);
    await api(s, 'POST', `/api/jobs/${job}/cancel`);
    expectApiError(await api(s, 'POST', `/api/jobs/${job}/requeue`), 409, `job ${job} is being canceled; wait until it is canceled`);
  });

  it('priority: POST or PUT {priority}; re-orders dispatch at once', async () => {
    const s = await testServer();
    submit(s, [{ name: 'first' }], { priority: 50 });
    const later = submit(s, [{ name: 'later' }], { priority: 50 });
    const body = expectJson(await api(s, 'POST', `/api/jobs/${later.job}/priority`, { body: { priority: 90 } }));
    expect(body).toEqual(s.manager.readModels.jobSummary(later.job));
    expect(body.priority).toBe(90);
    expect(expectJson(await api(s, 'PUT', `/api/jobs/${later.job}/priority`, { body: { priority: 95 } })).priority).toBe(95);
    const w = await registerWorker(s.url);
    expect((await fetchTask(w)).name).toBe('later');

    const before = dbSnapshot(s);
    for (const bad of [{ priority: 101 }, { priority: '80' }, { priority: 1.5 }, {}]) {
      expectApiError(await api(s, 'POST', `/api/jobs/${later.job}/priority`, { body: bad }), 400, 'priority: must be an integer from 0 to 100');
    }
    expectApiError(await api(s, 'POST', `/api/jobs/${later.job}/priority`), 400, 'the request needs a JSON body');
    expectApiError(await api(s, 'POST', `/api/jobs/${later.job}/priority`, { body: [80] }), 400, 'the body must be a JSON object');
    expect(dbSnapshot(s)).toEqual(before);
    expectApiError(await api(s, 'POST', `/api/jobs/${UNKNOWN_ID}/priority`, { body: { priority: 1 } }), 404, `job ${UNKNOWN_ID} not found`);
  });

  it('delete: 204, gone afterwards; 409 while a task runs; 404 unknown', async () => {
    const s = await testServer();
    const { job } = submit(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const t = await fetchTask(w);
    const before = dbSnapshot(s);
    expectApiError(await api(s, 'DELETE', `/api/jobs/${job}`), 409, `job ${job} has running tasks; cancel it and wait until it is canceled before deleting it`);
    expect(dbSnapshot(s)).toEqual(before);

    await w.call('POST', `/tasks/${t._id}/update`, { task_status: 'completed' });
    const r = await api(s, 'DELETE', `/api/jobs/${job}`);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expectApiError(await api(s, 'GET', `/api/jobs/${job}`), 404);
    expectApiError(await api(s, 'GET', `/api/tasks/${t._id}`), 404);
    expectApiError(await api(s, 'DELETE', `/api/jobs/${job}`), 404, `job ${job} not found`);
  });

  it('answers 404 for unknown jobs on every action, and 405 for a wrong method', async () => {
    const s = await testServer();
    for (const action of ['cancel', 'pause', 'resume']) {
      expectApiError(await api(s, 'POST', `/api/jobs/${UNKNOWN_ID}/${action}`), 404, `job ${UNKNOWN_ID} not found`);
      expectApiError(await api(s, 'POST', `/api/jobs/xyz/${action}`), 404, 'job xyz not found');
    }
    const r = await api(s, 'GET', `/api/jobs/${UNKNOWN_ID}/cancel`);
    expectApiError(r, 405);
    expect(r.headers.get('allow')).toBe('POST');
    expectApiError(await api(s, 'GET', '/api/nope'), 404, 'no such endpoint: /api/nope');
  });
});

describe('GET /api/jobs?at=<event id>', () => {
  it('answers as of at least that event, one answer shared by every client asking so; without at always afresh', async () => {
    const s = await testServer();
    const feed = s.manager.observe.feed;
    const first = s.manager.jobs.submit(customJob([{ name: 'a' }], { name: 'first' })).id;
    feed.poll();
    const at = feed.position();
    const ids = (r: Awaited<ReturnType<typeof api>>) => expectJson(r).map((j: { id: string }) => j.id);
    expect(ids(await api(s, 'GET', `/api/jobs?at=${at}`))).toEqual([first]);
    // A change serve has not read from the events journal yet: clients asking as of `at` share
    // the answer already made; a client asking without `at` sees the change.
    const second = s.manager.jobs.submit(customJob([{ name: 'a' }], { name: 'second' })).id;
    expect(ids(await api(s, 'GET', `/api/jobs?at=${at}`))).toEqual([first]);
    expect(ids(await api(s, 'GET', '/api/jobs'))).toEqual([first, second]);
    // Once serve has read it, a client that saw the newer event gets an answer that has it.
    feed.poll();
    expect(feed.position()).toBeGreaterThan(at);
    expect(ids(await api(s, 'GET', `/api/jobs?at=${feed.position()}`))).toEqual([first, second]);
    // Other queries are kept apart.
    expect(ids(await api(s, 'GET', `/api/jobs?at=${at}&status=completed`))).toEqual([]);
    expectApiError(await api(s, 'GET', '/api/jobs?at=soon'), 400, 'at: must be an event id (a whole number)');
  });
});
