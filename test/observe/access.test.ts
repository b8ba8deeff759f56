// From trusted_networks the API can be read without the token (the read-only dashboard); no
// action is reachable without it, from anywhere.
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/http/api-routes';
import { parseNetworks } from '../../src/core/support/networks';
import { adminAuth, ADMIN_TOKEN, registerWorker, request, testServer } from '../helpers/env';
import { dbSnapshot, expectApiError, submit } from '../api/helpers';

describe('reading from trusted_networks', () => {
  it('opens every GET of /api without the token and refuses every other method', async () => {
    const s = await testServer();
    const { job } = submit(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const before = dbSnapshot(s);
    const routes = apiRoutes(s.manager, adminAuth(s.manager)).flatMap((r) =>
      r.methods.map((method) => ({ method, path: r.path.replace(/:id/g, r.path.includes('workers') ? w.id : job) })),
    );
    let reads = 0;
    for (const { method, path } of routes) {
      const r = await request(s.url, method, `${path}?job=${job}`, { body: method === 'GET' ? undefined : { priority: 1, status: 'asleep', start: '22:00', end: '06:00' } });
      if (path.endsWith('/log')) {
        // Logs hold paths and command lines: the admin token, from anywhere.
        expectApiError(r, 401, 'admin token missing or wrong (see `flamenco-mgr admin-token`)');
      } else if (method === 'GET') {
        expect([200, 404], `${method} ${path}: ${r.text}`).toContain(r.status);
        if (r.status === 200) reads++;
      } else {
        expectApiError(r, 401, 'admin token missing or wrong (see `flamenco-mgr admin-token`)');
      }
    }
    expect(reads).toBeGreaterThan(6);
    expect(dbSnapshot(s)).toEqual(before);
  });

  it('says on /api/access what a request may do', async () => {
    const trusted = await testServer();
    expect((await request(trusted.url, 'GET', '/api/access')).json).toEqual({ read: true, admin: false });
    expect((await request(trusted.url, 'GET', '/api/access', { auth: `Bearer ${ADMIN_TOKEN}` })).json).toEqual({ read: true, admin: true });
    const outside = await testServer({ config: { trusted_networks: parseNetworks(['10.0.0.0/8']) } });
    expect((await request(outside.url, 'GET', '/api/access')).json).toEqual({ read: false, admin: false });
    expect((await request(outside.url, 'GET', '/api/access', { auth: 'Bearer wrong' })).status).toBe(401);
    expect((await request(outside.url, 'GET', '/api/jobs')).status).toBe(401);
    // Credentials that are presented must be right, also from a trusted network.
    expect((await request(trusted.url, 'GET', '/api/access', { auth: 'Bearer stale' })).status).toBe(401);
    expect((await request(trusted.url, 'GET', '/api/jobs', { auth: 'Bearer stale' })).status).toBe(401);
  });
});
