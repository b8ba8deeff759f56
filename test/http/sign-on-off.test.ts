// POST /sign-on and POST /sign-off.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { claim, expectError, rawRequest, submitJob, taskRec, workerRec } from '../helpers/protocol';

describe('POST /sign-on', { timeout: 30_000 }, () => {
  it('answers 204 and moves a registered worker to starting', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url, { signOn: false });
    expect(workerRec(s, w.id).status).toBe('');
    s.clock.advance(5000);
    const r = await w.call('POST', '/sign-on', { supported_task_types: ['sleep'], nickname: 'n1' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const rec = workerRec(s, w.id);
    expect(rec.status).toBe('starting');
    expect(rec.last_seen).toBe(s.clock.now());
    expect(rec.software).toBe('Flamenco-Worker/2.5');
  });

  it('replaces nickname and task types when they are non-empty', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url, { nickname: 'old', types: ['sleep'] });
    expect((await w.call('POST', '/sign-on', { supported_task_types: ['blender-render', 'ffmpeg', 'blender-render'], nickname: 'new' })).status).toBe(204);
    let rec = workerRec(s, w.id);
    expect(rec.nickname).toBe('new');
    expect(rec.supported_task_types).toEqual(['blender-render', 'ffmpeg']);

    for (const body of [{ supported_task_types: [], nickname: '' }, {}, { supported_task_types: null, nickname: null }]) {
      expect((await w.call('POST', '/sign-on', body)).status).toBe(204);
      rec = workerRec(s, w.id);
      expect(rec.nickname).toBe('new');
      expect(rec.supported_task_types).toEqual(['blender-render', 'ffmpeg']);
    }
  });

  it('accepts a body-less sign-on', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url, { signOn: false });
    const r = await rawRequest(s.url, 'POST', '/sign-on', { headers: { Authorization: w.auth, 'Content-Length': 0 } });
    expect(r.status).toBe(204);
    expect(workerRec(s, w.id).status).toBe('starting');
  });

  it('keeps a pending status request', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep', { lazy: true });
    expect((await w.call('POST', '/sign-on', {})).status).toBe(204);
    const rec = workerRec(s, w.id);
    expect(rec.status).toBe('starting');
    expect(rec.status_requested).toBe('asleep');
    expect(rec.lazy_status_request).toBe(true);
  });

  it('clears current_task but does not requeue the active task; /task hands it back', async () => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }]);
    const w = await registerWorker(s.url);
    const t = await claim(w);
    expect(workerRec(s, w.id).current_task).toBe(t._id);
    expect((await w.call('POST', '/sign-on', {})).status).toBe(204);
    expect(workerRec(s, w.id).current_task).toBeNull();
    expect(taskRec(s, t._id)).toMatchObject({ status: 'active', worker_id: w.id });
    const again = await claim(w);
    expect(again._id).toBe(t._id);
    expect(taskRec(s, ids.b!).status).toBe('queued');
  });

  it.each([
    ['malformed JSON', '{"nickname": '],
    ['a JSON array', '["sleep"]'],
    ['a JSON string', '"x"'],
    ['task types not an array', '{"supported_task_types": "sleep", "nickname": "changed"}'],
    ['task types with a number', '{"supported_task_types": ["sleep", 1], "nickname": "changed"}'],
    ['a non-string nickname', '{"supported_task_types": ["ffmpeg"], "nickname": 12}'],
  ])('answers 400 for %s and changes nothing', async (_what, body) => {
    const s = await testServer();
    const w = await registerWorker(s.url, { nickname: 'keep', types: ['sleep'], signOn: false });
    s.manager.workers.requestStatus(w.id, 'awake');
    s.clock.advance(10_000);
    const before = workerRec(s, w.id);
    const r = await rawRequest(s.url, 'POST', '/sign-on', { headers: { Authorization: w.auth, 'Content-Type': 'application/json' }, body });
    expectError(r, 400);
    expect(workerRec(s, w.id)).toEqual(before);
  });
});

describe('POST /sign-off', { timeout: 30_000 }, () => {
  it('requeues the active task, sets offline and clears current_task', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const t = await claim(w);
    const r = await w.call('POST', '/sign-off');
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const task = taskRec(s, t._id);
    expect(task.status).toBe('queued');
    expect(task.worker_id).toBeNull();
    expect(task.activity).toContain('signed off');
    const rec = workerRec(s, w.id);
    expect(rec.status).toBe('offline');
    expect(rec.current_task).toBeNull();
    // Another worker can take it now.
    const w2 = await registerWorker(s.url);
    expect((await claim(w2))._id).toBe(t._id);
  });

  it('leaves other workers\u2019 tasks alone', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await registerWorker(s.url);
    const w2 = await registerWorker(s.url);
    await claim(w1);
    const t2 = await claim(w2);
    expect((await w1.call('POST', '/sign-off')).status).toBe(204);
    expect(taskRec(s, t2._id)).toMatchObject({ status: 'active', worker_id: w2.id });
  });

  it('answers 204 for a worker with nothing to requeue, with Content-Length: 0 and no Content-Type', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const r = await rawRequest(s.url, 'POST', '/sign-off', { headers: { Authorization: w.auth, 'Content-Length': 0 } });
    expect(r.status).toBe(204);
    expect(workerRec(s, w.id).status).toBe('offline');
  });

  it.each([
    ['awake', false],
    ['shutdown', false],
    ['asleep', true],
  ] as const)('clears a pending %s request of an awake worker', async (status, lazy) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).status).toBe(204);
    s.manager.workers.requestStatus(w.id, status, { lazy });
    expect((await w.call('POST', '/sign-off')).status).toBe(204);
    const rec = workerRec(s, w.id);
    expect(rec.status).toBe('offline');
    expect(rec.status_requested).toBe('');
    expect(rec.lazy_status_request).toBe(false);
  });

  it('has an asleep worker keep asleep, so it goes back to sleep after its next sign-on', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep');
    expect((await w.call('POST', '/task')).status).toBe(423);
    expect((await w.call('POST', '/ack-status-change/asleep')).status).toBe(204);
    expect(workerRec(s, w.id)).toMatchObject({ status: 'asleep', status_requested: '' });

    expect((await w.call('POST', '/sign-off')).status).toBe(204);
    expect(workerRec(s, w.id)).toMatchObject({ status: 'offline', status_requested: 'asleep' });

    expect((await w.call('POST', '/sign-on', {})).status).toBe(204);
    expect(workerRec(s, w.id)).toMatchObject({ status: 'starting', status_requested: 'asleep' });
    const r = await w.call('POST', '/task');
    expect(r.status).toBe(423);
    expect(r.json).toEqual({ status_requested: 'asleep' });
  });

  it('keeps a pending asleep request of a worker that is already asleep', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep');
    await w.call('POST', '/ack-status-change/asleep');
    s.manager.workers.requestStatus(w.id, 'asleep');
    expect((await w.call('POST', '/sign-off')).status).toBe(204);
    expect(workerRec(s, w.id)).toMatchObject({ status: 'offline', status_requested: 'asleep' });
  });
});
