import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { registerBackground } from '../../src/core/observe/background';
import { ManualClock } from '../../src/core/support/clock';
import { onCleanup, request, testServer } from '../helpers/env';

/** A clock that moves a millisecond each time it is read, as a busy serve's would between probes. */
class TickingClock extends ManualClock {
  override now(): number {
    this.advance(1);
    return super.now();
  }
}

async function servingWithTimers(clock = new ManualClock()) {
  const s = await testServer({ clock });
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

  it('answers 200 to every one of 200 concurrent probes', async () => {
    const s = await servingWithTimers(new TickingClock());
    // Each on a connection of its own, all sent before any is answered.
    const get = () =>
      new Promise<number>((resolve, reject) => {
        http
          .get(`${s.url}/healthz`, { agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
    const answers = await Promise.all(Array.from({ length: 200 }, get));
    expect(answers.filter((status) => status !== 200)).toEqual([]);
    // And 200 asked within one turn of serve's loop, as a burst of requests on open connections is.
    s.clock.advance(5000);
    const checks = await Promise.all(Array.from({ length: 200 }, () => s.manager.health()));
    expect(checks.filter((h) => !h.ok).length).toBe(0);
  });

  it('writes the database at most once a second, however many ask', async () => {
    const s = await servingWithTimers();
    const changes = () => s.db.prepare('SELECT total_changes()').pluck().get() as number;
    const before = changes();
    for (let i = 0; i < 20; i++) expect((await request(s.url, 'GET', '/healthz')).status).toBe(200);
    await Promise.all(Array.from({ length: 20 }, () => request(s.url, 'GET', '/healthz')));
    expect(changes() - before).toBe(1);
    s.clock.advance(1000);
    expect((await request(s.url, 'GET', '/healthz')).status).toBe(200);
    expect(changes() - before).toBe(2);
  });
});
