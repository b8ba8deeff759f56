// What a request without the admin token must show besides its address: a Host that names this
// manager (DNS rebinding), and for /api/v3 writes no other site's Origin. Wrong admin tokens are
// limited per address and logged without flooding. Task logs need the token from anywhere.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { configFromJson } from '../../src/core/support/config';
import { createLogger } from '../../src/core/support/logger';
import { ADMIN_FAILURE_WINDOW_MS, ADMIN_FAILURES_PER_ADDRESS } from '../../src/http/admin-auth';
import { hostIsOurs, hostOfHeader } from '../../src/http/access';
import { ADMIN_TOKEN, registerWorker, request, testServer, type TestServer } from '../helpers/env';
import { claim, rawRequest, submitJob } from '../helpers/protocol';

const BEARER = `Bearer ${ADMIN_TOKEN}`;

function get(s: TestServer, path: string, headers: Record<string, string> = {}) {
  return rawRequest(s.url, 'GET', path, { headers });
}

describe('Host of tokenless requests (DNS rebinding)', () => {
  it('parses Host headers and knows this machine by its names', () => {
    expect(hostOfHeader('[::1]:8080')).toBe('::1');
    expect(hostOfHeader('Render-Mgr.:8080')).toBe('render-mgr');
    expect(hostOfHeader('192.168.1.20')).toBe('192.168.1.20');
    expect(hostOfHeader('a:b:c')).toBeUndefined();
    const own = hostname().toLowerCase();
    for (const h of ['127.0.0.1:8080', '192.168.1.20', '[::1]:8080', '[fe80::1]', 'localhost:8080', 'LOCALHOST', own, `${own}:8080`, own.split('.')[0]!]) {
      expect(hostIsOurs(h, []), h).toBe(true);
    }
    for (const h of [undefined, '', 'evil.example', 'evil.example:8080', `${own.split('.')[0]}.evil.example`, '127.0.0.1.evil.example', 'localhost.evil.example']) {
      expect(hostIsOurs(h, []), String(h)).toBe(false);
    }
    expect(hostIsOurs('farm.studio.lan:8080', ['farm.studio.lan'])).toBe(true);
  });

  it('answers 421 to every tokenless route addressed to another name, and serves it with the token', async () => {
    const s = await testServer();
    const { jobId } = submitJob(s, [{ name: 'a' }]);
    const evil = { Host: 'evil.example:8080' };
    for (const path of [
      '/api/jobs',
      `/api/jobs/${jobId}`,
      '/api/workers',
      '/api/farm',
      '/api/access',
      '/api/events',
      '/api/last-rendered',
      '/metrics',
      '/api/v3/version',
      '/api/v3/jobs/types',
    ]) {
      const r = await get(s, path, evil);
      expect(r.status, `${path}: ${r.text}`).toBe(421);
      const message = path.startsWith('/api/v3') ? r.json.message : r.json.error.message;
      expect(message).toMatch(/addressed to "evil\.example:8080".*server_names/);
      // The same request with the admin token is answered (the events stream is left open: not read here).
      if (path !== '/api/events') expect((await get(s, path, { ...evil, Authorization: BEARER })).status, path).toBe(200);
    }
    // Addressed to the manager's IP or one of its names, the same requests are answered.
    for (const host of [new URL(s.url).host, 'localhost', hostname()]) {
      expect((await get(s, '/api/workers', { Host: host })).status, host).toBe(200);
    }
  });

  it('reads server_names from the config as a browser sends them, refusing what is no host name', () => {
    expect(configFromJson({ server_names: ['Farm.Studio.Lan.', 'render-mgr'] }).server_names).toEqual(['farm.studio.lan', 'render-mgr']);
    for (const bad of [['farm:8080'], ['*.studio.lan'], ['http://farm'], [''], 'farm']) {
      expect(() => configFromJson({ server_names: bad }), JSON.stringify(bad)).toThrow(/^server_names: /);
    }
  });

  it('answers names listed in server_names, and changes them on a config reload', async () => {
    const s = await testServer({ config: { server_names: ['farm.studio.lan'] } });
    expect((await get(s, '/api/jobs', { Host: 'farm.studio.lan:8080' })).status).toBe(200);
    expect((await get(s, '/api/jobs', { Host: 'FARM.studio.lan.' })).status).toBe(200);
    s.manager.config.server_names = [];
    expect((await get(s, '/api/jobs', { Host: 'farm.studio.lan:8080' })).status).toBe(421);
  });

  it('leaves the worker protocol, /healthz and the dashboard files alone, whatever the Host', async () => {
    const s = await testServer();
    const evil = { Host: 'render-farm-alias.example:8080' };
    const w = await registerWorker(s.url);
    submitJob(s, [{ name: 'a' }]);
    const r = await rawRequest(s.url, 'POST', '/task', { headers: { ...evil, Authorization: w.auth, 'Content-Type': 'application/json' }, body: '{}' });
    expect(r.status, r.text).toBe(200);
    // (Unhealthy here: the test server runs no background timers; the point is that it answers.)
    expect([200, 503]).toContain((await get(s, '/healthz', evil)).status);
    expect((await get(s, '/', evil)).status).toBe(200);
    expect((await get(s, '/dashboard/app.js', evil)).status).toBe(200);
  });

  it("refuses tokenless /api/v3 writes carrying another site's Origin or Sec-Fetch-Site: cross-site, and a rebinding page at all", async () => {
    const s = await testServer();
    const body = JSON.stringify({ name: 'x', type: 'simple-blender-render', priority: 50, submitter_platform: 'linux', settings: {} });
    const post = (headers: Record<string, string>) => rawRequest(s.url, 'POST', '/api/v3/jobs/check', { headers: { 'Content-Type': 'application/json', ...headers }, body });
    const host = new URL(s.url).host;
    expect((await post({ Origin: 'http://evil.example:8080' })).status).toBe(403);
    expect((await post({ 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    // A page at a name rebound to the manager: its Origin and Host agree, but the name is not ours.
    const rebound = await post({ Host: 'evil.example:8080', Origin: 'http://evil.example:8080', 'Sec-Fetch-Site': 'same-origin' });
    expect(rebound.status, rebound.text).toBe(421);
    // The add-on (no Origin) is judged by its settings (400 for the missing ones), not refused as a site.
    expect((await post({ Host: host })).status).toBe(400);
    expect(s.manager.readModels.jobList(undefined, { scope: 'all', limit: 10 }).jobs).toHaveLength(0);
  });
});

describe('wrong admin tokens', () => {
  it('are limited per address (429 with Retry-After), also for the right token, until the window ends', async () => {
    const s = await testServer({ config: { trusted_networks: [] } });
    for (let i = 0; i < ADMIN_FAILURES_PER_ADDRESS; i++) {
      expect((await request(s.url, 'GET', '/api/jobs', { auth: `Bearer wrong-${i}` })).status).toBe(401);
    }
    for (const auth of ['Bearer wrong-again', BEARER]) {
      const r = await request(s.url, 'GET', '/api/jobs', { auth });
      expect(r.status, r.text).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers.get('retry-after'))).toBeLessThanOrEqual(ADMIN_FAILURE_WINDOW_MS / 1000);
      expect(r.json.error.message).toMatch(/too many wrong admin tokens/);
    }
    // A request without credentials is not a guess: it is told to bring the token.
    expect((await request(s.url, 'GET', '/api/jobs')).status).toBe(401);
    s.clock.advance(ADMIN_FAILURE_WINDOW_MS);
    expect((await request(s.url, 'GET', '/api/jobs', { auth: BEARER })).status).toBe(200);
  });

  it('are logged at most once per address a minute, with how many came since', async () => {
    const lines: string[] = [];
    const s = await testServer({ logger: createLogger('info', (l) => lines.push(l)) });
    const refused = () => lines.filter((l) => l.includes('admin token refused'));
    // 10 wrong tokens (401), then 40 refused at once (429): one line for each kind.
    for (let i = 0; i < 50; i++) await request(s.url, 'GET', '/api/jobs', { auth: `Bearer wrong-${i}` });
    expect(refused()).toHaveLength(2);
    expect(refused()[0]).toMatch(/level=warn msg="admin token refused: missing or wrong" address=(::ffff:)?127\.0\.0\.1/);
    expect(refused()[1]).toMatch(/level=warn msg="admin token refused: too many wrong tokens from this address" address=(::ffff:)?127\.0\.0\.1/);
    s.clock.advance(ADMIN_FAILURE_WINDOW_MS);
    await request(s.url, 'GET', '/api/jobs', { auth: 'Bearer wrong-late' });
    expect(refused()).toHaveLength(3);
    expect(refused()[2]).toMatch(/msg="admin token refused: missing or wrong" .*refused_since_last_line=9/);
  });
});

describe('task logs', () => {
  it('need the admin token also from trusted networks; task views leave the log tail out without it', async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const task = await claim(w);
    expect((await w.call('POST', `/tasks/${task._id}/update`, { log: 'blender --render-output /secret/path\n' })).status).toBe(204);
    const log = await request(s.url, 'GET', `/api/tasks/${ids.a}/log`);
    expect(log.status).toBe(401);
    expect((await request(s.url, 'GET', `/api/tasks/${ids.a}/log?run=1`)).status).toBe(401);
    const withToken = await request(s.url, 'GET', `/api/tasks/${ids.a}/log`, { auth: BEARER });
    expect(withToken.status).toBe(200);
    expect(withToken.text).toContain('/secret/path');

    const view = await request(s.url, 'GET', `/api/tasks/${ids.a}`);
    expect(view.status).toBe(200);
    expect(view.json).not.toHaveProperty('log_tail');
    const job = await request(s.url, 'GET', `/api/jobs/${jobId}`);
    expect(job.text).not.toContain('/secret/path');
    expect((await request(s.url, 'GET', `/api/tasks/${ids.a}`, { auth: BEARER })).json.log_tail).toContain('/secret/path');
  });
});
