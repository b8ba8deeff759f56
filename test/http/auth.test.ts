// HTTP Basic auth on every worker call except /register-worker.
import { describe, expect, it } from 'vitest';
import { basicAuth, type HttpResult, registerWorker, request, testServer } from '../helpers/env';
import { FAILURE_WINDOW_MS, FAILURES_PER_ADDRESS } from '../../src/core/protocol/login-limits';
import { expectBasicChallenge, expectError, UNKNOWN_ID, workerRec } from '../helpers/protocol';

/** Every Basic-auth endpoint with a body that would be valid for it. */
const ENDPOINTS: [string, string, unknown][] = [
  ['POST', '/sign-on', { supported_task_types: ['sleep'], nickname: 'x' }],
  ['POST', '/sign-off', undefined],
  ['POST', '/task', undefined],
  ['GET', '/task', undefined],
  ['POST', `/tasks/${UNKNOWN_ID}/update`, { activity: 'x' }],
  ['POST', `/tasks/${UNKNOWN_ID}/return`, undefined],
  ['GET', `/may-i-run/${UNKNOWN_ID}`, undefined],
  ['GET', '/status-change', undefined],
  ['POST', '/ack-status-change/awake', undefined],
  ['POST', '/output-produced', { paths: ['/render/0001.png'] }],
];

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * What each endpoint answers credentials that name no worker or carry a wrong secret: answers the
 * real worker acts on by stopping, dropping its queued updates and shutting down (worker-refusals.ts).
 */
function expectRefusal(path: string, r: HttpResult): void {
  if (path === '/task') {
    expect(r.status).toBe(423);
    expect(r.json).toEqual({ status_requested: 'shutdown' });
  } else if (path.startsWith('/may-i-run/')) {
    expect(r.status).toBe(401);
    expect(Object.keys(r.json).sort()).toEqual(['may_keep_running', 'reason', 'status_requested']);
    expect(r.json).toMatchObject({ may_keep_running: false, status_requested: 'shutdown' });
  } else if (path.endsWith('/update')) {
    expectError(r, 409);
  } else if (path.endsWith('/return')) {
    expect(r.status).toBe(204);
  } else if (path === '/status-change') {
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status_requested: 'shutdown' });
  } else {
    expectBasicChallenge(r);
  }
}

describe('Basic auth', { timeout: 30_000 }, () => {
  it.each(ENDPOINTS)('%s %s answers 401 with the Basic challenge for missing or malformed credentials', async (method, path, body) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const before = workerRec(s, w.id);
    const bad: (string | undefined)[] = [
      undefined,
      '',
      'Basic',
      'Basic !!!not-base64!!!',
      `Basic ${b64(w.id)}`, // no colon
      `Basic ${b64(`not-an-id:${w.secret}`)}`,
      `Basic ${b64(`${w.id.toUpperCase()}:${w.secret}`)}`,
      `Bearer ${w.secret}`,
      `Digest username="${w.id}"`,
    ];
    for (const auth of bad) {
      const headers: Record<string, string> = auth === undefined ? {} : { Authorization: auth };
      const r = await request(s.url, method, path, { body, headers });
      expectBasicChallenge(r);
      expect(r.text).not.toContain(w.secret);
    }
    // Nothing about the worker changed.
    expect(workerRec(s, w.id)).toEqual(before);
  });

  it.each(ENDPOINTS)('%s %s gives a wrong secret and an unknown id the same answer, one the worker acts on', async (method, path, body) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const before = workerRec(s, w.id);
    const answers: string[] = [];
    for (const auth of [`${w.id}:`, `${w.id}:wrong-secret-0123456789`, `${w.id}:${w.secret}x`, `${UNKNOWN_ID}:${w.secret}`]) {
      const r = await request(s.url, method, path, { body, headers: { Authorization: `Basic ${b64(auth)}` } });
      expectRefusal(path, r);
      expect(r.text).not.toContain(w.secret);
      answers.push(`${r.status} ${r.text}`);
    }
    expect(new Set(answers).size).toBe(1);
    expect(workerRec(s, w.id)).toEqual(before);
  });

  it('accepts the right credentials, case-insensitively on the scheme', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    for (const scheme of ['Basic', 'basic', 'BASIC']) {
      const r = await request(s.url, 'GET', '/status-change', { headers: { Authorization: `${scheme} ${b64(`${w.id}:${w.secret}`)}` } });
      expect(r.status).toBe(204);
    }
  });

  it('accepts a secret that itself contains colons', async () => {
    const s = await testServer();
    const secret = 'abc:def:ghi:0123456789';
    const reg = await request(s.url, 'POST', '/register-worker', { body: { secret, platform: 'linux', supported_task_types: ['sleep'], nickname: 'colon' } });
    expect(reg.status).toBe(200);
    const r = await request(s.url, 'GET', '/status-change', { auth: basicAuth(reg.json._id, secret) });
    expect(r.status).toBe(204);
  });

  it('keeps refusing a wrong secret after the right one was verified', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expect((await w.call('GET', '/status-change')).status).toBe(204);
    expectRefusal('/sign-off', await request(s.url, 'POST', '/sign-off', { auth: basicAuth(w.id, 'wrong-secret-0123456789') }));
    expect((await w.call('GET', '/status-change')).status).toBe(204);
  });

  it("does not let one worker's secret open another worker", async () => {
    const s = await testServer();
    const a = await registerWorker(s.url);
    const b = await registerWorker(s.url);
    expectBasicChallenge(await request(s.url, 'POST', '/sign-off', { auth: basicAuth(b.id, a.secret) }));
    expect(workerRec(s, b.id).status).toBe('starting');
  });

  it('verifies the stored hash when the manager starts fresh on the same data', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const s2 = await testServer({ dataDir: s.dataDir });
    expect((await request(s2.url, 'GET', '/status-change', { auth: w.auth })).status).toBe(204);
    expectBasicChallenge(await request(s2.url, 'POST', '/sign-off', { auth: basicAuth(w.id, 'wrong-secret-0123456789') }));
  });

  it('answers a flood of wrong secrets with 429s the worker retries, and lets a known worker through', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    // Served by a fresh process: the worker's secret is not verified in memory yet.
    const s2 = await testServer({ dataDir: s.dataDir, clock: s.clock });
    const known = await registerWorker(s2.url);
    for (let i = 0; i < FAILURES_PER_ADDRESS; i++) {
      // Guesses for many ids, so that the address limit is the one reached.
      await request(s2.url, 'POST', '/task', { auth: basicAuth(`${i}`.padStart(24, 'c'), `guess-${i}-0123456789abcdef`) });
    }
    const task = await request(s2.url, 'POST', '/task', { auth: w.auth });
    expectError(task, 429);
    expect(Number(task.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(task.headers.get('retry-after'))).toBeLessThanOrEqual(FAILURE_WINDOW_MS / 1000);
    // /may-i-run: a body the worker parses; nothing could be checked, so the task keeps running.
    const may = await request(s2.url, 'GET', `/may-i-run/${UNKNOWN_ID}`, { auth: w.auth });
    expect(may.status).toBe(429);
    expect(may.json).toEqual({ may_keep_running: true });
    // An update stays in the worker's queue (429 is retried), it is not dropped.
    expectError(await request(s2.url, 'POST', `/tasks/${UNKNOWN_ID}/update`, { auth: w.auth, body: { activity: 'x' } }), 429);
    // A worker verified before is not slowed down.
    expect((await known.call('GET', '/status-change')).status).toBe(204);
    // The penalty ends with the window.
    s.clock.advance(FAILURE_WINDOW_MS);
    expect((await request(s2.url, 'GET', '/status-change', { auth: w.auth })).status).toBe(204);
  });

  it('does not need auth for /register-worker', async () => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/register-worker', {
      body: { secret: 'z'.repeat(32), platform: 'linux', supported_task_types: ['sleep'], nickname: 'free' },
    });
    expect(r.status).toBe(200);
  });
});
