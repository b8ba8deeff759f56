// Bad input in general: ids in URLs, body limits, unknown paths and methods, error bodies, no 5xx.
import { describe, expect, it } from 'vitest';
import { TASK_UPDATE_BODY_LIMIT } from '../../src/http/worker-routes';
import { DEFAULT_BODY_LIMIT } from '../../src/http/server';
import { ADMIN_TOKEN, registerWorker, request, testServer } from '../helpers/env';
import { claim, expectError, NOT_IDS, rawRequest, readLog, submitJob, taskRec } from '../helpers/protocol';

describe('ids in URLs', { timeout: 30_000 }, () => {
  it.each([
    ['POST', '/tasks/:id/update', { activity: 'x' }],
    ['POST', '/tasks/:id/return', undefined],
    ['GET', '/may-i-run/:id', undefined],
  ] as const)('%s %s answers 404 for ids that are not 24 lowercase hex', async (method, path, body) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    for (const bad of [...NOT_IDS, '%00', '%20' + '0'.repeat(24), '0'.repeat(24) + '%0A']) {
      const r = await request(s.url, method, path.replace(':id', bad), { auth: w.auth, body });
      expectError(r, 404);
    }
  });

  it('answers an empty id segment with 404', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expectError(await w.call('POST', '/tasks//update', { activity: 'x' }), 404);
    expectError(await w.call('GET', '/may-i-run/'), 404);
  });
});

describe('body limits', { timeout: 30_000 }, () => {
  it('answers 413 to a body over the default limit, and nothing changes', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url, { nickname: 'keep' });
    const r = await rawRequest(s.url, 'POST', '/sign-on', {
      headers: { Authorization: w.auth, 'Content-Type': 'application/json', 'Content-Length': DEFAULT_BODY_LIMIT + 1 },
      body: '{"nickname": "',
      unfinished: true,
    });
    expectError(r, 413);
    expect(s.manager.repos.workers.get(w.id)!.nickname).toBe('keep');
    // The manager keeps serving.
    expect((await w.call('GET', '/status-change')).status).toBe(204);
  });

  it('answers 413 to an oversized chunked body without Content-Length', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const r = await rawRequest(s.url, 'POST', '/output-produced', {
      headers: { Authorization: w.auth, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: JSON.stringify({ paths: ['/x/' + 'p'.repeat(DEFAULT_BODY_LIMIT)] }),
    });
    expectError(r, 413);
  });

  it('accepts task updates up to 16 MiB and answers 413 above', async () => {
    expect(TASK_UPDATE_BODY_LIMIT).toBe(16 * 1024 * 1024);
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    await claim(w);
    const big = JSON.stringify({ log: 'z'.repeat(8 * 1024 * 1024) });
    expect((await w.call('POST', `/tasks/${ids.a}/update`, JSON.parse(big))).status).toBe(204);
    const headers = { Authorization: w.auth, 'Content-Type': 'application/json' };
    // A declared length over the limit is refused before the body arrives.
    const declared = await rawRequest(s.url, 'POST', `/tasks/${ids.a}/update`, {
      headers: { ...headers, 'Content-Length': TASK_UPDATE_BODY_LIMIT + 1 },
      body: '{"log": "',
      unfinished: true,
    });
    expectError(declared, 413);
    // A streamed body is cut off once it passes the limit.
    const tooBig = JSON.stringify({ log: 'z'.repeat(TASK_UPDATE_BODY_LIMIT) });
    const r = await rawRequest(s.url, 'POST', `/tasks/${ids.a}/update`, { headers: { ...headers, 'Transfer-Encoding': 'chunked' }, body: tooBig });
    expectError(r, 413);
    expect((await readLog(s, jobId, ids.a!)).length).toBeLessThan(9 * 1024 * 1024);
    expect(taskRec(s, ids.a!).status).toBe('active');
  });
});

describe('routing', { timeout: 30_000 }, () => {
  // (`/` is the dashboard, and `//task` is read as the URL `http://task/`, that is `/`: test/web.)
  it.each(['/tasks', '/task/', '/tasks/0123456789abcdef01234567', '/api/worker/task', '/register', '/sign_on', '/TASK', '/logfile'])(
    'answers the unknown path %s with a JSON 404',
    async (path) => {
      const s = await testServer();
      const w = await registerWorker(s.url);
      expectError(await w.call('GET', path), 404);
      expectError(await w.call('POST', path), 404);
    },
  );

  it.each([
    ['GET', '/register-worker', 'POST'],
    ['PUT', '/register-worker', 'POST'],
    ['GET', '/sign-on', 'POST'],
    ['GET', '/sign-off', 'POST'],
    ['DELETE', '/task', 'POST, GET'],
    ['PUT', '/task', 'POST, GET'],
    ['PATCH', '/task', 'POST, GET'],
    ['GET', '/tasks/0123456789abcdef01234567/update', 'POST'],
    ['PUT', '/tasks/0123456789abcdef01234567/return', 'POST'],
    ['POST', '/may-i-run/0123456789abcdef01234567', 'GET'],
    ['PUT', '/status-change', 'GET'],
    ['GET', '/ack-status-change/awake', 'POST'],
    ['GET', '/output-produced', 'POST'],
    ['DELETE', '/logfile/0123456789abcdef01234567/0123456789abcdef01234567', 'GET'],
  ])('answers %s %s with a JSON 405 and Allow: %s', async (method, path, allow) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const r = await request(s.url, method, path, { auth: w.auth });
    expectError(r, 405);
    expect(r.headers.get('allow')).toBe(allow);
  });

  it('serves the endpoints at the root, ignoring a query string', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expect((await w.call('GET', '/status-change?x=1')).status).toBe(204);
  });
});

describe('never a 5xx', { timeout: 30_000 }, () => {
  it('answers hostile and odd requests with 4xx or 2xx and keeps serving', async () => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const auth = { Authorization: w.auth };
    const json = { ...auth, 'Content-Type': 'application/json' };
    const cases: [string, string, Record<string, string>, string | undefined][] = [
      [
        'POST',
        '/register-worker',
        { 'Content-Type': 'application/json' },
        '{"secret": "' + 's'.repeat(20) + '", "platform": "linux", "nickname": "x", "supported_task_types": null}',
      ],
      ['POST', '/register-worker', { 'Content-Type': 'application/json' }, '{"secret": {"$gt": ""}}'],
      ['POST', '/register-worker', { 'Content-Type': 'text/plain' }, '\u0000\u0001\u0002'],
      ['POST', '/register-worker', { 'Content-Type': 'application/json' }, '\uFEFF{}'],
      ['POST', '/register-worker', { 'Content-Type': 'application/json' }, '['.repeat(5000) + ']'.repeat(5000)],
      ['POST', '/sign-on', json, '{"supported_task_types": [' + '"t",'.repeat(10000) + '"t"]}'],
      ['POST', '/sign-on', json, '{"__proto__": {"nickname": "x"}}'],
      ['POST', '/task', { ...json }, '{"ignored": true}'],
      ['POST', `/tasks/${ids.a}/update`, json, '{"metrics": {"timing": null}}'],
      ['POST', `/tasks/${ids.a}/update`, json, '{"metrics": {"timing": {"__proto__": 1}}}'],
      ['POST', `/tasks/${ids.a}/update`, json, '{"log": "\\u0000\\ud800 bad surrogate"}'],
      ['POST', `/tasks/${ids.a}/update`, json, '{"task_progress_percentage": -5, "current_command_idx": 1e300}'],
      ['POST', `/tasks/${ids.a}/update`, { ...auth, 'Content-Type': 'application/json; charset=latin1' }, '{"activity": "caf\u00e9"}'],
      ['POST', '/output-produced', json, '{"paths": ["' + '../'.repeat(1000) + 'etc/passwd"]}'],
      ['POST', '/ack-status-change/%E0%A4%A', auth, undefined],
      ['POST', '/ack-status-change/..%2F..%2Fawake', auth, undefined],
      ['GET', `/may-i-run/${ids.a}%`, auth, undefined],
      ['GET', `/logfile/${'%'.repeat(3)}/x`, { Authorization: `Bearer ${ADMIN_TOKEN}` }, undefined],
      ['GET', '/status-change', { Authorization: 'Basic ' + 'A'.repeat(8000) }, undefined],
      ['GET', '/status-change', { Authorization: 'Basic ' + Buffer.from(`${w.id}:${'\u00ff'.repeat(100)}`).toString('base64') }, undefined],
      ['OPTIONS', '/task', auth, undefined],
      ['HEAD', '/nothing-here', auth, undefined],
    ];
    for (const [method, path, headers, body] of cases) {
      const r = await rawRequest(s.url, method, path, { headers, body });
      expect(r.status, `${method} ${path} → ${r.status} ${r.text.slice(0, 200)}`).toBeLessThan(500);
      if (r.status >= 400 && method !== 'HEAD') expectError(r, r.status);
    }
    expect((await w.call('GET', '/status-change')).status).toBe(204);
  });
});
