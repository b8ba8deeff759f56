import { describe, expect, it } from 'vitest';
import { registerBackground } from '../../src/core/observe/background';
import { onCleanup, request, testServer } from '../helpers/env';

async function servingWithTimers() {
  const s = await testServer();
  registerBackground(s.manager);
  s.manager.timers.start();
  onCleanup(() => s.manager.timers.stop());
  return s;
}

describe('/healthz', () => {
  it('is 200 when the database reads and writes and the timers run', async () => {
    const s = await servingWithTimers();
    const r = await request(s.url, 'GET', '/healthz');
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ status: 'ok' });
  });

  it('is 503 while the background timers are not running', async () => {
    const s = await testServer();
    const r = await request(s.url, 'GET', '/healthz');
    expect(r.status).toBe(503);
    expect(r.json.problems).toEqual(['the background timers are not running']);
  });

  it('is 503 naming a timer that has stopped running, and 200 again once it runs', async () => {
    const s = await servingWithTimers();
    s.clock.advance(60_000);
    const r = await request(s.url, 'GET', '/healthz');
    expect(r.status).toBe(503);
    expect(r.json.problems).toContain('timeout check has not run for 60 s');
    expect(r.json.problems).toContain('sleep schedules has not run for 60 s');
    await s.manager.timers.runAll();
    expect((await request(s.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('is 503 naming a timer that keeps failing, not after one failed run', async () => {
    const s = await servingWithTimers();
    let fail = true;
    s.manager.timers.add('flaky', 1000, () => {
      if (fail) throw new Error('disk on fire');
    });
    await s.manager.timers.run('flaky');
    expect((await request(s.url, 'GET', '/healthz')).status).toBe(200);
    s.clock.advance(11_000);
    await s.manager.timers.runAll();
    const r = await request(s.url, 'GET', '/healthz');
    expect(r.status).toBe(503);
    expect(r.json.problems).toEqual(['flaky fails: disk on fire']);
    fail = false;
    await s.manager.timers.run('flaky');
    expect((await request(s.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('is 503 with the reason when the database cannot be written', async () => {
    const s = await servingWithTimers();
    s.db.pragma('query_only = ON');
    const r = await request(s.url, 'GET', '/healthz');
    expect(r.status).toBe(503);
    expect(r.json.problems).toEqual([expect.stringMatching(/^database: .*readonly/)]);
    s.db.pragma('query_only = OFF');
    expect((await request(s.url, 'GET', '/healthz')).status).toBe(200);
  });
});
