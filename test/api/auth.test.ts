// Every /api route needs the admin token from outside trusted_networks: missing or wrong → 401
// with a JSON error and a Bearer challenge; the right token gets through. (Reading from a
// trusted network without the token: test/observe/access.test.ts.)
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/http/api-routes';
import { ADMIN_FAILURE_WINDOW_MS } from '../../src/http/admin-auth';
import { adminAuth, ADMIN_TOKEN, registerWorker, request, testServer } from '../helpers/env';
import { api, BEARER, dbSnapshot, expectApiError, submit, UNKNOWN_ID } from './helpers';

function allRoutes(s: Awaited<ReturnType<typeof testServer>>, id: string): { method: string; path: string }[] {
  return apiRoutes(s.manager, adminAuth(s.manager)).flatMap((r) => r.methods.map((method) => ({ method, path: r.path.replace(/:id/g, id) })));
}

describe('admin API authentication', { timeout: 30_000 }, () => {
  it('refuses every route without the right token from outside trusted_networks, changing nothing', async () => {
    const s = await testServer({ config: { trusted_networks: [] } });
    const { job } = submit(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const before = dbSnapshot(s);
    const wrong = [
      undefined,
      'Bearer',
      'Bearer ',
      `Bearer ${ADMIN_TOKEN}x`,
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
      ADMIN_TOKEN,
      `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
      w.auth,
    ];
    const routes = [...allRoutes(s, job), ...allRoutes(s, w.id)];
    expect(routes.length).toBeGreaterThan(20);
    for (const { method, path } of routes) {
      for (const auth of wrong) {
        const r = await request(s.url, method, `${path}?job=${job}`, {
          auth,
          body: method === 'GET' ? undefined : { priority: 1, status: 'asleep', start: '22:00', end: '06:00' },
        });
        expectApiError(r, 401, 'admin token missing or wrong (see `flamenco-mgr admin-token`)');
        // Past the limit of wrong tokens per address, the answer would be 429 (see below).
        s.clock.advance(ADMIN_FAILURE_WINDOW_MS);
        expect(r.headers.get('www-authenticate')).toBe('Bearer realm="flamenco-mgr"');
      }
    }
    expect(dbSnapshot(s)).toEqual(before);
  });

  it('lets the right token through on every route (case-insensitive scheme)', async () => {
    const s = await testServer();
    for (const { method, path } of allRoutes(s, UNKNOWN_ID)) {
      for (const auth of [BEARER, `bearer ${ADMIN_TOKEN}`, `Bearer   ${ADMIN_TOKEN}`]) {
        const r = await request(s.url, method, path, { auth });
        expect(r.status, `${method} ${path}: ${r.text}`).not.toBe(401);
        expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(500);
      }
    }
  });

  it('answers the token-protected log route the same way', async () => {
    const s = await testServer();
    const { job, ids } = submit(s, [{ name: 'a' }]);
    const r = await request(s.url, 'GET', `/logfile/${job}/${ids.a}`);
    expectApiError(r, 401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="flamenco-mgr"');
    expect((await api(s, 'GET', `/logfile/${job}/${ids.a}`)).status).toBe(200);
  });

  it('does not accept the admin token on worker routes', async () => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/task', { auth: BEARER });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="Flamenco Manager"');
  });
});
