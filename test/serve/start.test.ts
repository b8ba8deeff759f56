// startServer: serve's whole composition in one call, used here in-process with an injected clock.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/support/clock';
import { createLogger } from '../../src/core/support/logger';
import { loadEffectiveConfig } from '../../src/serve/config-file';
import { startServer, type ServerHandle, type ServerOptions } from '../../src/serve/start';
import { onCleanup, registerWorker, request, tempDir } from '../helpers/env';
import { waitFor } from '../helpers/cli';

/** startServer on 127.0.0.1, port 0, without signals or SSDP; closed after the test. */
async function started(opts: Partial<ServerOptions> & { lines?: string[] } = {}): Promise<ServerHandle> {
  const lines = opts.lines ?? [];
  const s = await startServer({
    dataDir: opts.dataDir ?? tempDir(),
    listen: '127.0.0.1:0',
    logger: createLogger('debug', (l) => lines.push(l)),
    ...opts,
  });
  onCleanup(() => s.close());
  return s;
}

describe('startServer', { timeout: 30_000 }, () => {
  it('returns a handle with the bound address, the manager and close(), and holds the data directory meanwhile', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const s = await started({ dataDir: dir, lines });
    expect(s.address).toBe(`127.0.0.1:${s.port}`);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.port).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'serve.lock'), 'utf8'))).toMatchObject({ pid: process.pid, listen: s.address });
    expect((await request(s.url, 'POST', '/task')).status).toBe(401);
    const w = await registerWorker(s.url);
    expect(s.manager.repos.workers.get(w.id)?.status).toBe('starting');
    await s.close();
    await s.stopped;
    expect(existsSync(path.join(dir, 'serve.lock'))).toBe(false);
    expect(() => s.manager.repos.workers.list()).toThrow(/not open/);
    expect(lines.some((l) => l.includes('msg=stopped'))).toBe(true);
  });

  it('runs the background timeout check and sleep schedules on their timers, judged by the injected clock', async () => {
    const clock = new ManualClock();
    const s = await started({ clock, intervals: { timeouts: 20, schedules: 20 } });
    const m = s.manager;
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).status).toBe(204);
    expect(m.repos.workers.get(w.id)?.status).toBe('awake');

    // A sleep window around the clock's current local time: the schedule timer asks the worker to sleep.
    const hour = new Date(clock.now()).getHours();
    const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    m.sleepSchedules.set(w.id, '', hh(hour), hh(hour + 1));
    await waitFor(() => m.repos.workers.get(w.id)?.status_requested === 'asleep', 10_000, 'the sleep schedule timer');

    // Nothing heard for longer than worker_timeout, by the clock: the timeout timer marks it.
    clock.advance(m.config.worker_timeout_ms + 1000);
    await waitFor(() => m.repos.workers.get(w.id)?.status === 'timeout', 10_000, 'the timeout check timer');
  });

  it('once closing, answers a request on an open connection 503 with Connection: close, then exits', async () => {
    const s = await started({ drain: { graceMs: 2000 } });
    const sock = net.connect(s.port, '127.0.0.1');
    let received = '';
    sock.setEncoding('utf8').on('data', (c: string) => (received += c));
    const closedByServer = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => received.includes('404'), 5000, 'the first answer');
    received = '';
    const closing = s.close();
    // The connection stays open during the grace period; a request on it is refused, not reset.
    sock.write('POST /task HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    await closedByServer;
    expect(received).toMatch(/^HTTP\/1\.1 503 /);
    expect(received.toLowerCase()).toContain('connection: close');
    expect(received).toContain('"code":"shutting_down"');
    await closing;
  });

  it('reload() puts a new worker_timeout and new variables in force for the running manager', async () => {
    const clock = new ManualClock();
    const file = path.join(tempDir(), 'farm.json');
    writeFileSync(file, JSON.stringify({ worker_timeout: '60s' }));
    const s = await started({ clock, configFile: file, intervals: { timeouts: 20 } });
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).status).toBe(204);
    writeFileSync(file, JSON.stringify({ worker_timeout: '20s', variables: { render: { values: [{ platform: 'linux', value: '/mnt/r' }] } } }));
    expect(s.reload()).toEqual({ applied: ['worker_timeout', 'variables'], needsRestart: [] });
    expect(s.manager.variables.defs.render?.values[0]?.value).toBe('/mnt/r');
    clock.advance(21_000);
    await waitFor(() => s.manager.repos.workers.get(w.id)?.status === 'timeout', 10_000, 'a timeout by the reloaded worker_timeout');
  });

  it('a reload records what serve runs with: keys that need a restart keep their old value in the record', async () => {
    const dir = tempDir();
    const file = path.join(tempDir(), 'farm.json');
    writeFileSync(file, JSON.stringify({ worker_timeout: '60s', max_connections: 1000 }));
    const s = await started({ dataDir: dir, configFile: file });
    writeFileSync(file, JSON.stringify({ worker_timeout: '30s', max_connections: 500, trusted_networks: ['10.0.0.0/8'] }));
    expect(s.reload()).toEqual({ applied: ['worker_timeout'], needsRestart: ['trusted_networks', 'max_connections'] });
    expect(s.manager.config.max_connections).toBe(1000);
    const recorded = loadEffectiveConfig(dir);
    expect(recorded.worker_timeout_ms).toBe(30_000);
    expect(recorded.max_connections).toBe(1000);
    expect(recorded.trusted_networks).toEqual(s.manager.config.trusted_networks);
    expect(JSON.parse(readFileSync(path.join(dir, 'serve-config.json'), 'utf8'))).toEqual({ listen: '127.0.0.1:0', worker_timeout: '30s', max_connections: 1000 });
  });

  it('refuses a second server on the same data directory and releases nothing of the first', async () => {
    const dir = tempDir();
    const first = await started({ dataDir: dir });
    await expect(started({ dataDir: dir })).rejects.toThrow(/another flamenco-mgr serve is already using/);
    expect((await request(first.url, 'GET', '/nothing')).status).toBe(404);
  });
});
