// What a stranger without credentials can make the manager do: nothing that costs memory or
// connections beyond the configured bounds, and no noise in the error log.
import type { Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Manager } from '../../src/core/manager';
import { defaultConfig } from '../../src/core/support/config';
import { createLogger } from '../../src/core/support/logger';
import { openDatabase } from '../../src/db/open';
import { createManagerServer } from '../../src/http/app';
import { createHttpServer } from '../../src/http/server';
import { onCleanup, registerWorker, tempDir, testServer } from '../helpers/env';
import { STACK_LINE, waitFor } from '../helpers/cli';
import { UNKNOWN_ID } from '../helpers/protocol';

/** A raw connection: what it received, and whether the server closed it. */
function connect(port: number) {
  const sock = net.connect(port, '127.0.0.1');
  const state = { received: '', closed: false, sock };
  sock.setEncoding('utf8').on('data', (c: string) => (state.received += c));
  sock.on('error', () => undefined);
  sock.on('close', () => (state.closed = true));
  onCleanup(() => void sock.destroy());
  return state;
}

const portOf = (url: string) => Number(new URL(url).port);

/** Waits until the server's count of open connections satisfies ok. */
function connections(server: Server, ok: (n: number) => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = () => server.getConnections((_e, n) => (ok(n) ? resolve() : setTimeout(check, 10)));
    check();
  });
}

describe('requests without credentials', { timeout: 30_000 }, () => {
  // Each body is announced within the route's limit (16 MiB for updates, 1 MiB elsewhere), so only
  // the missing credentials can refuse it.
  it.each([
    ['/tasks/' + UNKNOWN_ID + '/update', 8 * 1024 * 1024],
    ['/task', 1024 * 1024 - 1],
    ['/sign-on', 1024 * 1024 - 1],
    ['/output-produced', 1024 * 1024 - 1],
  ])('POST %s with a large body is answered 401 before the body is read', async (p, length) => {
    const s = await testServer();
    const c = connect(portOf(s.url));
    // The body announced, 1 KiB of it sent: the answer must not wait for (or buffer) the rest.
    c.sock.write(`POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n` + 'x'.repeat(1024));
    await waitFor(() => c.received.includes('\r\n\r\n'), 10_000, 'an answer before the body was sent');
    expect(c.received).toMatch(/^HTTP\/1\.1 401 /);
    expect(c.received.toLowerCase()).toContain('connection: close');
  });

  it('a registration without the Bearer token is answered 403 before its body is read', async () => {
    const s = await testServer({ config: { registration_secret: 'registration-secret-for-tests' } });
    const c = connect(portOf(s.url));
    c.sock.write(`POST /register-worker HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024}\r\n\r\n{"secret":`);
    await waitFor(() => c.received.includes('\r\n\r\n'), 10_000, 'an answer before the body was sent');
    expect(c.received).toMatch(/^HTTP\/1\.1 403 /);
  });
});

describe('connection limits', { timeout: 30_000 }, () => {
  it('closes connections beyond max_connections at once, and takes new ones when there is room', async () => {
    const s = await testServer({ config: { max_connections: 3 } });
    const held = [connect(portOf(s.url)), connect(portOf(s.url)), connect(portOf(s.url))];
    await waitFor(() => held.every((c) => c.sock.readyState === 'open'), 5000, 'three connections');
    // The server counts a connection once it accepted it; let it catch up before the fourth.
    await connections(s.server, (n) => n === 3);
    const extra = connect(portOf(s.url));
    await waitFor(() => extra.closed, 5000, 'the connection over the limit to be closed');
    expect(extra.received).toBe('');
    for (const c of held) expect(c.closed).toBe(false);
    for (const c of held) c.sock.destroy();
    await connections(s.server, (n) => n === 0);
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).status).toBe(204);
  });

  it('defaults to 12 000 connections and the 10 s / 30 s header and request timeouts', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    onCleanup(() => void db.close());
    const server = createManagerServer(new Manager({ db, dataDir: dir, config: defaultConfig() }), 'token-0123456789abcdef');
    expect(server.maxConnections).toBe(12_000);
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(30_000);
  });

  it('closes a connection whose headers do not arrive in time within a fraction of the timeout, not after 30 s', async () => {
    const server = createHttpServer(
      [],
      createLogger('error', () => undefined),
      { headersTimeoutMs: 400, requestTimeoutMs: 800 },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const c = connect((server.address() as AddressInfo).port);
    c.sock.write('GET / HTTP/1.1\r\nHost: x\r\n');
    // Node looked for late connections every 30 s by default: this waited 30 s, not 0.4.
    await waitFor(() => c.closed, 10_000, 'the headers timeout');
    expect(c.received).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('a client that hangs up mid-body', { timeout: 30_000 }, () => {
  it('is logged at debug level, without a stack trace and without an error line', async () => {
    const lines: string[] = [];
    const s = await testServer({ logger: createLogger('debug', (l) => lines.push(l)) });
    const w = await registerWorker(s.url);
    const c = connect(portOf(s.url));
    c.sock.write(`POST /tasks/${UNKNOWN_ID}/update HTTP/1.1\r\nHost: x\r\nAuthorization: ${w.auth}\r\nContent-Length: 100000\r\n\r\n{"log": "`);
    await new Promise((r) => setTimeout(r, 100));
    c.sock.destroy();
    await waitFor(() => lines.some((l) => l.includes('client hung up')), 5000, 'the debug line');
    expect(lines.find((l) => l.includes('client hung up'))).toMatch(/level=debug .*where="POST \/tasks\/:task\/update"/);
    expect(lines.filter((l) => l.includes('level=error'))).toEqual([]);
    expect(lines.join('\n')).not.toContain(STACK_LINE);
  });
});
