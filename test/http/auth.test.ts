// HTTP Basic auth on every worker call except /register-worker.
import { describe, expect, it } from 'vitest';
import { basicAuth, registerWorker, request, testServer } from '../helpers/env';
import { expectBasicChallenge, UNKNOWN_ID, workerRec } from '../helpers/protocol';

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

describe('Basic auth', { timeout: 30_000 }, () => {
  it.each(ENDPOINTS)('%s %s answers 401 with the Basic challenge for every kind of bad credentials', async (method, path, body) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const before = workerRec(s, w.id);
    const bad: (string | undefined)[] = [
      undefined,
      '',
      'Basic',
      'Basic !!!not-base64!!!',
      `Basic ${b64(w.id)}`, // no colon
      `Basic ${b64(`${w.id}:`)}`, // empty secret
      `Basic ${b64(`${w.id}:wrong-secret-0123456789`)}`,
      `Basic ${b64(`${w.id}:${w.secret}x`)}`,
      `Basic ${b64(`${UNKNOWN_ID}:${w.secret}`)}`,
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
    expectBasicChallenge(await request(s.url, 'GET', '/status-change', { auth: basicAuth(w.id, 'wrong-secret-0123456789') }));
    expect((await w.call('GET', '/status-change')).status).toBe(204);
  });

  it("does not let one worker's secret open another worker", async () => {
    const s = await testServer();
    const a = await registerWorker(s.url);
    const b = await registerWorker(s.url);
    expectBasicChallenge(await request(s.url, 'GET', '/status-change', { auth: basicAuth(b.id, a.secret) }));
  });

  it('verifies the stored hash when the manager starts fresh on the same data', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const s2 = await testServer({ dataDir: s.dataDir });
    expect((await request(s2.url, 'GET', '/status-change', { auth: w.auth })).status).toBe(204);
    expectBasicChallenge(await request(s2.url, 'GET', '/status-change', { auth: basicAuth(w.id, 'wrong-secret-0123456789') }));
  });

  it('does not need auth for /register-worker', async () => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/register-worker', {
      body: { secret: 'z'.repeat(32), platform: 'linux', supported_task_types: ['sleep'], nickname: 'free' },
    });
    expect(r.status).toBe(200);
  });
});
