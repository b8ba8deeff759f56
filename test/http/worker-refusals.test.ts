// Refused logins get the same answers whether the handler or a guard (before the body) refused.
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/support/logger';
import { noContent } from '../../src/http/reply';
import { createHttpServer } from '../../src/http/server';
import { LoginRefused, withRefusals } from '../../src/http/worker-refusals';
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
