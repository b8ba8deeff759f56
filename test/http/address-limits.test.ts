// Per-address limits on what stays open: connections (max_connections_per_address) and event
// streams (max_event_streams_per_address); others' addresses are not affected, a slot freed is
// taken again, and refusals are logged once per address and interval. serve warns at start when
// max_connections is above the process's open-file limit.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, DEFAULT_MAX_EVENT_STREAMS_PER_ADDRESS } from '../../src/core/support/limits';
import { createLogger } from '../../src/core/support/logger';
import { defaultConfig } from '../../src/core/support/config';
import { openFileSoftLimit, ownOpenFileLimit } from '../../src/serve/fd-limit';
import { startServer } from '../../src/serve/start';
import { onCleanup, request, tempDir, testServer } from '../helpers/env';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** A raw connection from `localAddress`; resolves once it is connected, with how it ends. */
async function connect(port: number, localAddress = '127.0.0.1') {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  onCleanup(() => void socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  /** Whether the server answers a request on it. */
  const answers = () =>
    new Promise<boolean>((resolve) => {
      let got = '';
      socket.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n\r\n')) resolve(true);
      });
      socket.once('close', () => resolve(got.length > 0));
      socket.write('GET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
  return { socket, closed, answers };
}

describe('connections per address', () => {
  it('are at most max_connections_per_address; more are closed at once, other addresses go on, a freed slot is taken again', async () => {
    const lines: string[] = [];
    const s = await testServer({ config: { max_connections_per_address: 3 }, logger: createLogger('info', (l) => lines.push(l)) });
    const port = Number(new URL(s.url).port);
    const kept = [await connect(port), await connect(port), await connect(port)];
    const extra = [await connect(port), await connect(port)];
    await Promise.all(extra.map((c) => c.closed));
    for (const c of kept) expect(await c.answers()).toBe(true);
    const other = await connect(port, '127.0.0.2');
    expect(await other.answers()).toBe(true);
    kept[0]!.socket.destroy();
    await kept[0]!.closed;
    // serve sees the close a moment later; then the address has a slot again.
    let answered = false;
    for (let i = 0; i < 50 && !answered; i++) answered = await (await connect(port)).answers();
    expect(answered).toBe(true);
    expect(lines.filter((l) => l.includes('max_connections_per_address'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('max_connections_per_address'))).toContain('address=127.0.0.1');
  });

  it("default to room for hundreds of render nodes behind one NAT address, and the events to a wrangler's tabs", () => {
    expect(defaultConfig().max_connections_per_address).toBe(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
    expect(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS).toBeGreaterThanOrEqual(400);
    expect(defaultConfig().max_event_streams_per_address).toBe(DEFAULT_MAX_EVENT_STREAMS_PER_ADDRESS);
  });
});

describe('event streams per address', () => {
  it('are at most max_event_streams_per_address (429 with Retry-After after that); another address and a freed slot go on', async () => {
    const s = await testServer({ config: { max_event_streams_per_address: 2 } });
    const open: AbortController[] = [];
    const stream = async () => {
      const ac = new AbortController();
      open.push(ac);
      onCleanup(() => ac.abort());
      return (await fetch(`${s.url}/api/events`, { signal: ac.signal })).status;
    };
    expect(await stream()).toBe(200);
    expect(await stream()).toBe(200);
    const refused = await request(s.url, 'GET', '/api/events');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(refused.json.error.message).toMatch(/max_event_streams_per_address: 2/);
    // Another address is not limited by this one's streams.
    const other = net.connect({ port: Number(new URL(s.url).port), host: '127.0.0.1', localAddress: '127.0.0.2' });
    onCleanup(() => void other.destroy());
    const head = await new Promise<string>((resolve) => {
      let got = '';
      other.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n\r\n')) resolve(got.split('\r\n')[0]!);
      });
      other.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
    expect(head).toBe('HTTP/1.1 200 OK');
    open[0]!.abort();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      const r = await fetch(`${s.url}/api/events`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      status = r?.status ?? 0;
      if (status === 200) onCleanup(() => void r!.body?.cancel().catch(() => undefined));
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status).toBe(200);
  });
});

describe('the open-file limit', () => {
  it('is read from /proc/self/limits', () => {
    expect(
      openFileSoftLimit(
        'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n',
      ),
    ).toBe(1024);
    expect(openFileSoftLimit('Max open files            unlimited            unlimited            files     \n')).toBeUndefined();
    expect(ownOpenFileLimit()).toBeGreaterThan(0);
  });

  it('is named in a warning at start when max_connections is above it', async () => {
    const limit = ownOpenFileLimit()!;
    const dir = tempDir();
    const lines: string[] = [];
    const file = path.join(dir, 'farm.json');
    writeFileSync(file, JSON.stringify({ max_connections: limit + 1 }));
    const s = await startServer({ dataDir: dir, configFile: file, listen: '127.0.0.1:0', logger: createLogger('info', (l) => lines.push(l)) });
    onCleanup(() => s.close());
    expect(lines.filter((l) => l.includes('level=warn') && l.includes('open-file limit'))).toEqual([
      expect.stringContaining(`max_connections=${limit + 1} open_file_limit=${limit}`),
    ]);
    await s.close();
    lines.length = 0;
    writeFileSync(file, JSON.stringify({ max_connections: limit }));
    const t = await startServer({ dataDir: dir, configFile: file, listen: '127.0.0.1:0', logger: createLogger('info', (l) => lines.push(l)) });
    onCleanup(() => t.close());
    expect(lines.filter((l) => l.includes('open-file limit'))).toEqual([]);
  });
});

describe('the limits on reload', () => {
  it('take max_tasks_per_job and the per-address limits at once', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'farm.json');
    writeFileSync(file, JSON.stringify({}));
    const s = await startServer({ dataDir: dir, configFile: file, listen: '127.0.0.1:0', logger: createLogger('error') });
    onCleanup(() => s.close());
    writeFileSync(file, JSON.stringify({ max_tasks_per_job: 2, max_connections_per_address: 100, max_event_streams_per_address: 1 }));
    expect(s.reload()).toEqual({ applied: ['max_tasks_per_job', 'max_connections_per_address', 'max_event_streams_per_address'], needsRestart: [] });
    expect(() => s.manager.jobs.submit({ name: 'x', job_type: 'sleep', settings: { frames: '1-3', chunk_size: 1 } })).toThrow(/max_tasks_per_job \(2\)/);
    const ac = new AbortController();
    onCleanup(() => ac.abort());
    expect((await fetch(`${s.url}/api/events`, { signal: ac.signal })).status).toBe(200);
    expect((await request(s.url, 'GET', '/api/events')).status).toBe(429);
  });
});
