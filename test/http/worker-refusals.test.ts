// Refused logins get the same answers whether the handler or a guard (before the body) refused.
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/support/logger';
import { noContent } from '../../src/http/reply';
import { createHttpServer } from '../../src/http/server';
import { LoginRefused, refusalReply, withRefusals } from '../../src/http/worker-refusals';
import { onCleanup, request } from '../helpers/env';

async function serve(routes: Parameters<typeof withRefusals>[0]): Promise<string> {
  const server = createHttpServer(withRefusals(routes), silentLogger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('refused logins', () => {
  it('are answered for the route, from a guard as from a handler', async () => {
    const refuse = () => {
      throw new LoginRefused({ refused: 'unknown' });
    };
    const url = await serve([
      { methods: ['POST'], path: '/task', guard: async () => refuse(), handler: () => noContent },
      { methods: ['GET'], path: '/status-change', guard: () => refuse(), handler: () => noContent },
      { methods: ['GET'], path: '/may-i-run/:task', handler: () => refuse() },
    ]);
    const task = await request(url, 'POST', '/task');
    expect(task.status).toBe(423);
    expect(task.json).toEqual({ status_requested: 'shutdown' });
    expect((await request(url, 'GET', '/status-change')).json).toEqual({ status_requested: 'shutdown' });
    const may = await request(url, 'GET', '/may-i-run/0123456789abcdef01234567');
    expect(may.json).toMatchObject({ may_keep_running: false, status_requested: 'shutdown' });
  });
});

describe('the refusals a Flamenco Worker acts on', () => {
  // shared/protocol.md: the worker reads these bodies; their bytes must not change.
  const realm = { 'WWW-Authenticate': 'Basic realm="Flamenco Manager"' };
  const answer = (path: string, refusal: Parameters<typeof refusalReply>[1]) => {
    const r = refusalReply(path, refusal);
    return { status: r.status, body: r.body === undefined ? undefined : JSON.stringify(r.body), headers: r.headers };
  };

  it.each([
    ['/task', 423, '{"status_requested":"shutdown"}', realm],
    [
      '/may-i-run/:task',
      401,
      '{"may_keep_running":false,"reason":"this manager does not know this worker (forgotten?); shut down and register again","status_requested":"shutdown"}',
      realm,
    ],
    ['/tasks/:task/update', 409, '{"error":{"code":"unknown_worker","message":"this manager does not know this worker (forgotten?); the update is dropped"}}', realm],
    ['/tasks/:task/return', 204, undefined, undefined],
    ['/status-change', 200, '{"status_requested":"shutdown"}', undefined],
    ['/sign-on', 401, '{"error":{"code":"unauthorized","message":"worker credentials missing or wrong"}}', realm],
  ])('unknown credentials on %s: %i %s', (path, status, body, headers) => {
    expect(answer(path, { refused: 'unknown' })).toEqual({ status, body, headers });
  });

  it.each([
    ['/may-i-run/:task', '{"may_keep_running":true}'],
    ['/task', '{"error":{"code":"rate_limited","message":"too many failed logins from this address or for this worker; try again later"}}'],
  ])('limited logins on %s: 429 %s with Retry-After in whole seconds', (path, body) => {
    expect(answer(path, { refused: 'limited', retryAfterMs: 2500 })).toEqual({ status: 429, body, headers: { 'Retry-After': '3' } });
  });
});
