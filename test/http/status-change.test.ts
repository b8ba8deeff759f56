// GET /status-change and POST /ack-status-change/{status}.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { claim, expectError, rawRequest, submitJob, taskRec, workerRec } from '../helpers/protocol';

describe('GET /status-change', { timeout: 30_000 }, () => {
  it('answers 204 with an empty body when nothing is pending, and marks the worker seen', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.clock.advance(45_000);
    const r = await w.call('GET', '/status-change');
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(workerRec(s, w.id).last_seen).toBe(s.clock.now());
    // It does not wake the worker.
    expect(workerRec(s, w.id).status).toBe('starting');
  });

  it.each([
    ['asleep', false],
    ['asleep', true],
    ['awake', false],
    ['shutdown', true],
  ] as const)('answers 200 {"status_requested"} for a pending %s (lazy %s)', async (status, lazy) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, status, { lazy });
    const r = await w.call('GET', '/status-change');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.json).toEqual({ status_requested: status });
    // Asking does not clear the request; only an ack does.
    expect(workerRec(s, w.id).status_requested).toBe(status);
  });

  it('shows the latest request only', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep');
    s.manager.workers.requestStatus(w.id, 'shutdown', { lazy: true });
    expect((await w.call('GET', '/status-change')).json).toEqual({ status_requested: 'shutdown' });
  });

  it('is not served for POST', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expectError(await w.call('POST', '/status-change'), 405);
  });
});

describe('POST /ack-status-change/{status}', { timeout: 30_000 }, () => {
  it('stores the acknowledged status and clears the request', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep', { lazy: true });
    s.clock.advance(3000);
    const r = await rawRequest(s.url, 'POST', '/ack-status-change/asleep', { headers: { Authorization: w.auth, 'Content-Length': 0 } });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(workerRec(s, w.id)).toMatchObject({ status: 'asleep', status_requested: '', lazy_status_request: false, last_seen: s.clock.now() });
    expect((await w.call('GET', '/status-change')).status).toBe(204);
  });

  it('the full sleep/wake cycle of a worker', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep');
    expect((await w.call('POST', '/task')).json).toEqual({ status_requested: 'asleep' });
    expect((await w.call('POST', '/ack-status-change/asleep')).status).toBe(204);
    expect((await w.call('GET', '/status-change')).status).toBe(204);
    s.manager.workers.requestStatus(w.id, 'awake');
    expect((await w.call('GET', '/status-change')).json).toEqual({ status_requested: 'awake' });
    expect((await w.call('POST', '/ack-status-change/awake')).status).toBe(204);
    expect(workerRec(s, w.id)).toMatchObject({ status: 'awake', status_requested: '' });
    const t = await claim(w);
    expect(taskRec(s, t._id).status).toBe('active');
  });

  it('accepts a status that was not requested', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/ack-status-change/error')).status).toBe(204);
    expect(workerRec(s, w.id).status).toBe('error');
    s.manager.workers.requestStatus(w.id, 'asleep');
    expect((await w.call('POST', '/ack-status-change/awake')).status).toBe(204);
    expect(workerRec(s, w.id)).toMatchObject({ status: 'awake', status_requested: '' });
  });

  it.each(['starting', 'awake', 'asleep', 'testing', 'error', 'timeout', 'offline'])('stores the known status %s', async (status) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expect((await w.call('POST', `/ack-status-change/${status}`)).status).toBe(204);
    expect(workerRec(s, w.id).status).toBe(status);
  });

  it('changes nothing when shutdown is acknowledged', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, 'shutdown');
    const before = workerRec(s, w.id);
    expect((await w.call('POST', '/ack-status-change/shutdown')).status).toBe(204);
    const after = workerRec(s, w.id);
    expect(after.status).toBe(before.status);
    expect(after.status_requested).toBe(before.status_requested);
    expect(after.lazy_status_request).toBe(before.lazy_status_request);
  });

  it.each(['sleeping', 'Awake', 'ASLEEP', 'shut-down', 'busy', 'active', '%3Cscript%3E'])('answers 400 for the unknown status %s and stores nothing', async (status) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, 'asleep');
    const before = workerRec(s, w.id);
    expectError(await w.call('POST', `/ack-status-change/${status}`), 400);
    expect(workerRec(s, w.id)).toMatchObject({ status: before.status, status_requested: 'asleep', lazy_status_request: false });
  });

  it('is not served for GET', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expectError(await w.call('GET', '/ack-status-change/awake'), 405);
  });
});
