// The worker protocol answers programs, never web pages: a page on another site (a form posting
// text/plain) or one that rebinds its name to the manager must not register a worker through an
// artist's browser, nor use a worker's credentials.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, registerWorker, request, testServer } from '../helpers/env';
import { registerF3 } from '../helpers/f3-worker';

const REGISTRATION = JSON.stringify({ secret: '0123456789abcdef0123', platform: 'linux', supported_task_types: ['blender-render'], nickname: 'from-a-page' });

async function workerCount(url: string): Promise<number> {
  return ((await request(url, 'GET', '/api/workers', { auth: `Bearer ${ADMIN_TOKEN}` })).json as unknown[]).length;
}

describe('the worker protocol refuses requests made by web pages', () => {
  for (const [what, headers] of [
    ["another site's form (text/plain)", { 'Content-Type': 'text/plain', Origin: 'http://evil.example' }],
    [
      'a page that rebound its name to the manager',
      { 'Content-Type': 'application/json', Host: 'evil.example', Origin: 'http://evil.example', 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors' },
    ],
    ['a page without Origin on https or localhost', { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' }],
  ] as const) {
    it(`registration from ${what} is refused (403) and no worker is made`, async () => {
      const s = await testServer();
      const r = await request(s.url, 'POST', '/register-worker', { rawBody: REGISTRATION, headers: { ...headers } });
      expect(r.status, r.text).toBe(403);
      expect(r.text).toContain('the worker protocol does not answer requests made by web pages');
      expect(await workerCount(s.url)).toBe(0);
    });
  }

  it("a worker's own calls carrying Origin are refused too; without it they work", async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const fromPage = await request(s.url, 'POST', '/task', { auth: w.auth, headers: { Origin: 'http://evil.example' } });
    expect(fromPage.status).toBe(403);
    const plain = await request(s.url, 'POST', '/task', { auth: w.auth });
    expect(plain.status).toBe(204);
  });

  it("a Flamenco 3 worker's registration from a page is refused too; a Flamenco 3 Worker's own is not", async () => {
    const s = await testServer();
    const body = JSON.stringify({ name: 'from-a-page', secret: 'ab'.repeat(32), platform: 'linux', supported_task_types: ['blender'] });
    const r = await request(s.url, 'POST', '/api/v3/worker/register-worker', { rawBody: body, headers: { 'Content-Type': 'text/plain', Origin: 'http://evil.example' } });
    expect(r.status, r.text).toBe(403);
    expect(r.text).toContain('the worker protocol does not answer requests made by web pages');
    expect(await workerCount(s.url)).toBe(0);
    await registerF3(s.url);
    expect(await workerCount(s.url)).toBe(1);
  });
});
