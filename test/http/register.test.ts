// POST /register-worker: open registration, validation, and the Bearer-token gate.
import { describe, expect, it } from 'vitest';
import {
  MAX_NICKNAME_LENGTH,
  MAX_PLATFORM_LENGTH,
  MAX_SECRET_LENGTH,
  MAX_TASK_TYPE_LENGTH,
  MAX_TASK_TYPES,
  REGISTRATION_WINDOW_MS,
  REGISTRATIONS_PER_ADDRESS,
} from '../../src/core/protocol/registration-limits';
import { basicAuth, registerWorker, request, testServer } from '../helpers/env';
import { expectError, makeJwt, rawRequest, workerRec } from '../helpers/protocol';

const REG = { secret: 'a'.repeat(64), platform: 'linux', supported_task_types: ['sleep', 'blender-render'], nickname: 'node-01' };

describe('POST /register-worker (open registration)', { timeout: 30_000 }, () => {
  it('answers 200 with a Worker document whose _id is a 24-hex string', async () => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/register-worker', { body: REG });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(typeof r.json._id).toBe('string');
    expect(r.json._id).toMatch(/^[0-9a-f]{24}$/);
    expect(r.json).toMatchObject({
      nickname: 'node-01',
      address: '127.0.0.1',
      status: '',
      platform: 'linux',
      supported_task_types: ['sleep', 'blender-render'],
      software: 'Flamenco-Worker/2.5',
      status_requested: '',
      lazy_status_request: false,
    });
    expect(r.json.last_activity).toBe(new Date(s.clock.now()).toISOString());
    expect('current_task' in r.json).toBe(false);
    expect(workerRec(s, r.json._id).status).toBe('');
  });

  it('never puts the secret or its hash in the reply, and stores only a hash', async () => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/register-worker', { body: REG });
    expect(r.status).toBe(200);
    const stored = workerRec(s, r.json._id).secret_hash;
    expect(stored).not.toContain(REG.secret);
    expect(stored.length).toBeGreaterThan(0);
    expect(r.text).not.toContain(REG.secret);
    expect(r.text).not.toContain(stored);
    for (const part of stored.split('$').filter((p) => p.length >= 16)) expect(r.text).not.toContain(part);
    expect(Object.keys(r.json)).not.toContain('secret');
    expect(Object.keys(r.json)).not.toContain('secret_hash');
  });

  it('creates two workers when the same nickname registers twice', async () => {
    const s = await testServer();
    const a = await request(s.url, 'POST', '/register-worker', { body: REG });
    const b = await request(s.url, 'POST', '/register-worker', { body: REG });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.json._id).not.toBe(b.json._id);
    expect(s.manager.repos.workers.list().map((w) => w.nickname)).toEqual(['node-01', 'node-01']);
  });

  it('lets the new worker authenticate with the secret it chose', async () => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/register-worker', { body: REG });
    const on = await request(s.url, 'POST', '/sign-on', { auth: basicAuth(r.json._id, REG.secret), body: {} });
    expect(on.status).toBe(204);
  });

  it('ignores unknown fields', async () => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/register-worker', { body: { ...REG, extra: { deep: [1, 2] }, worker_version: '2.5' } });
    expect(r.status).toBe(200);
  });

  it('refuses a secret shorter than 16 characters with 400', async () => {
    const s = await testServer();
    for (const secret of ['', 'short', 'x'.repeat(15)]) {
      const r = await request(s.url, 'POST', '/register-worker', { body: { ...REG, secret } });
      expectError(r, 400);
      expect(r.text).not.toContain(secret || '"secret":""');
    }
    const ok = await request(s.url, 'POST', '/register-worker', { body: { ...REG, secret: 'x'.repeat(16) } });
    expect(ok.status).toBe(200);
    expect(s.manager.repos.workers.list()).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', '{"secret": "aaaaaaaaaaaaaaaaaaaa", '],
    ['an empty body', ''],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"hello"'],
    ['a number secret', JSON.stringify({ ...REG, secret: 1234567890123456 })],
    ['a missing secret', JSON.stringify({ ...REG, secret: undefined })],
    ['a missing platform', JSON.stringify({ ...REG, platform: undefined })],
    ['a non-string platform', JSON.stringify({ ...REG, platform: ['linux'] })],
    ['a missing nickname', JSON.stringify({ ...REG, nickname: undefined })],
    ['a non-string nickname', JSON.stringify({ ...REG, nickname: 7 })],
    ['task types as a string', JSON.stringify({ ...REG, supported_task_types: 'sleep' })],
    ['task types with a number', JSON.stringify({ ...REG, supported_task_types: ['sleep', 3] })],
  ])('answers 400 for %s and creates nothing', async (_what, body) => {
    const s = await testServer();
    const r = await rawRequest(s.url, 'POST', '/register-worker', { headers: { 'Content-Type': 'application/json' }, body });
    expectError(r, 400);
    expect(s.manager.repos.workers.list()).toHaveLength(0);
  });
});

describe('POST /register-worker limits', { timeout: 30_000 }, () => {
  it.each([
    ['nickname', { nickname: 'n'.repeat(MAX_NICKNAME_LENGTH + 1) }, `nickname: must be at most ${MAX_NICKNAME_LENGTH} characters`],
    ['platform', { platform: 'p'.repeat(MAX_PLATFORM_LENGTH + 1) }, `platform: must be at most ${MAX_PLATFORM_LENGTH} characters`],
    ['secret', { secret: 's'.repeat(MAX_SECRET_LENGTH + 1) }, `secret: must be at most ${MAX_SECRET_LENGTH} characters`],
    ['task type count', { supported_task_types: Array.from({ length: MAX_TASK_TYPES + 1 }, (_, i) => `t${i}`) }, `supported_task_types: must have at most ${MAX_TASK_TYPES} items`],
    ['task type length', { supported_task_types: ['sleep', 'x'.repeat(MAX_TASK_TYPE_LENGTH + 1)] }, `supported_task_types[1]: must be at most ${MAX_TASK_TYPE_LENGTH} characters`],
  ])('refuses a %s over the limit with a 400 that names it', async (_what, patch, message) => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/register-worker', { body: { ...REG, ...patch } });
    expectError(r, 400);
    expect(r.json.error.message).toContain(message);
    expect(s.manager.repos.workers.list()).toHaveLength(0);
  });

  it('accepts every field at its limit', async () => {
    const s = await testServer();
    const body = {
      secret: 's'.repeat(MAX_SECRET_LENGTH),
      platform: 'p'.repeat(MAX_PLATFORM_LENGTH),
      nickname: 'n'.repeat(MAX_NICKNAME_LENGTH),
      supported_task_types: Array.from({ length: MAX_TASK_TYPES }, (_, i) => `${i}`.padEnd(MAX_TASK_TYPE_LENGTH, 't')),
    };
    expect((await request(s.url, 'POST', '/register-worker', { body })).status).toBe(200);
  });

  it('applies the nickname and task type limits to sign-on too', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url, { nickname: 'before', signOn: false });
    const r = await w.call('POST', '/sign-on', { nickname: 'n'.repeat(MAX_NICKNAME_LENGTH + 1), supported_task_types: ['sleep'] });
    expectError(r, 400);
    expect(r.json.error.message).toContain('nickname: must be at most');
    expect(workerRec(s, w.id).nickname).toBe('before');
  });

  it(`lets one address register ${REGISTRATIONS_PER_ADDRESS} workers a minute, then answers 429 until the window ends`, async () => {
    const s = await testServer();
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS; i++) {
      expect((await request(s.url, 'POST', '/register-worker', { body: { ...REG, nickname: `n${i}` } })).status).toBe(200);
    }
    const r = await request(s.url, 'POST', '/register-worker', { body: REG });
    expectError(r, 429);
    expect(r.json.error.message).toContain(`at most ${REGISTRATIONS_PER_ADDRESS} registrations per address`);
    expect(Number(r.headers.get('retry-after'))).toBe(REGISTRATION_WINDOW_MS / 1000);
    expect(s.manager.repos.workers.list()).toHaveLength(REGISTRATIONS_PER_ADDRESS);
    s.clock.advance(REGISTRATION_WINDOW_MS);
    expect((await request(s.url, 'POST', '/register-worker', { body: REG })).status).toBe(200);
  });

  it('does not limit registrations that carry a valid token for the registration secret', async () => {
    const secret = 'registration-secret-for-tests';
    const s = await testServer({ config: { registration_secret: secret } });
    const headers = { Authorization: `Bearer ${makeJwt(secret, { exp: s.clock.now() / 1000 + 60 })}` };
    for (let i = 0; i <= REGISTRATIONS_PER_ADDRESS; i++) {
      expect((await request(s.url, 'POST', '/register-worker', { body: REG, headers })).status).toBe(200);
    }
  });
});

describe('POST /register-worker with a registration secret', { timeout: 30_000 }, () => {
  const SECRET = 'registration-secret-for-tests';
  const claims = (nowMs: number, extra: Record<string, unknown> = {}) => ({ exp: nowMs / 1000 + 3600.25, iat: nowMs / 1000 + 0.5, ...extra });

  async function gated() {
    return testServer({ config: { registration_secret: SECRET } });
  }

  it.each(['HS256', 'HS384', 'HS512'] as const)('accepts a valid %s token with float exp/iat', async (alg) => {
    const s = await gated();
    const token = makeJwt(SECRET, claims(s.clock.now()), alg);
    const r = await request(s.url, 'POST', '/register-worker', { body: REG, headers: { Authorization: `Bearer ${token}` } });
    expect(r.status, r.text).toBe(200);
    expect(typeof r.json._id).toBe('string');
    expect(r.text).not.toContain(SECRET);
  });

  it('accepts a token without exp', async () => {
    const s = await gated();
    const r = await request(s.url, 'POST', '/register-worker', { body: REG, headers: { Authorization: `Bearer ${makeJwt(SECRET, {})}` } });
    expect(r.status).toBe(200);
  });

  it('answers 403 "Missing Bearer token for registration" without a token', async () => {
    const s = await gated();
    for (const headers of [{}, { Authorization: 'Bearer ' }, { Authorization: basicAuth('0123456789abcdef01234567', 'x'.repeat(20)) }] as Record<string, string>[]) {
      const r = await request(s.url, 'POST', '/register-worker', { body: REG, headers });
      expectError(r, 403, 'Missing Bearer token for registration');
    }
    expect(s.manager.repos.workers.list()).toHaveLength(0);
  });

  it('checks the token before looking at the body', async () => {
    const s = await gated();
    const r = await rawRequest(s.url, 'POST', '/register-worker', { headers: { 'Content-Type': 'application/json' }, body: '{not json' });
    expectError(r, 403, 'Missing Bearer token for registration');
  });

  it('answers 403 "Invalid Bearer token for registration" for bad tokens', async () => {
    const s = await gated();
    const now = s.clock.now();
    const good = makeJwt(SECRET, claims(now));
    const [h, p] = good.split('.');
    const bad = [
      makeJwt('another-secret', claims(now)),
      makeJwt(SECRET, claims(now, { exp: now / 1000 - 3600.5 })),
      makeJwt(SECRET, claims(now, { nbf: now / 1000 + 3600.5 })),
      makeJwt(SECRET, claims(now, { exp: 'tomorrow' })),
      `${h}.${p}.`,
      `${h}.${p}`,
      `${h}.${Buffer.from(JSON.stringify({ exp: now / 1000 + 99999 })).toString('base64url')}.${good.split('.')[2]}`,
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`,
      'not-a-jwt',
      'a.b.c',
    ];
    for (const token of bad) {
      const r = await request(s.url, 'POST', '/register-worker', { body: REG, headers: { Authorization: `Bearer ${token}` } });
      expectError(r, 403, 'Invalid Bearer token for registration');
    }
    expect(s.manager.repos.workers.list()).toHaveLength(0);
  });

  it('answers 403, not 500, for a token whose "alg" names an Object.prototype member', async () => {
    const s = await gated();
    const body = Buffer.from(JSON.stringify(claims(s.clock.now()))).toString('base64url');
    for (const alg of ['constructor', 'toString', '__proto__']) {
      const head = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
      const r = await request(s.url, 'POST', '/register-worker', { body: REG, headers: { Authorization: `Bearer ${head}.${body}.c2ln` } });
      expectError(r, 403, 'Invalid Bearer token for registration');
    }
  });

  it('judges expiry by the manager clock', async () => {
    const s = await gated();
    const token = makeJwt(SECRET, claims(s.clock.now()));
    s.clock.advance(2 * 3600_000);
    const r = await request(s.url, 'POST', '/register-worker', { body: REG, headers: { Authorization: `Bearer ${token}` } });
    expectError(r, 403, 'Invalid Bearer token for registration');
  });

  it('still validates the body after a valid token', async () => {
    const s = await gated();
    const token = makeJwt(SECRET, claims(s.clock.now()));
    const r = await request(s.url, 'POST', '/register-worker', { body: { ...REG, secret: 'short' }, headers: { Authorization: `Bearer ${token}` } });
    expectError(r, 400);
  });
});
