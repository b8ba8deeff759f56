// The monitoring routes on a real `serve` process: its timers are wired and running.
import { describe, expect, it } from 'vitest';
import { startServe } from '../helpers/cli';
import { request, tempDir } from '../helpers/env';

describe('serve answers monitoring', { timeout: 30_000 }, () => {
  it('reports healthy on /healthz once started', async () => {
    const s = await startServe(['--data-dir', tempDir()]);
    try {
      const r = await request(s.url, 'GET', '/healthz');
      expect(r.status, r.text).toBe(200);
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
  });
});
