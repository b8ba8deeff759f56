// The monitoring routes on a real `serve` process: its timers are wired and running.
import { describe, expect, it } from 'vitest';
import { startServe } from '../helpers/cli';
import { request, tempDir } from '../helpers/env';
import { parseExposition, sampleValue } from '../helpers/exposition';
import { openEvents } from '../helpers/sse';

describe('serve answers monitoring', { timeout: 30_000 }, () => {
  it('reports healthy on /healthz once started, and metrics that parse', async () => {
    const s = await startServe(['--data-dir', tempDir()]);
    try {
      const r = await request(s.url, 'GET', '/healthz');
      expect(r.status, r.text).toBe(200);
      const m = await request(s.url, 'GET', '/metrics');
      expect(m.status).toBe(200);
      const families = parseExposition(m.text);
      expect(sampleValue(families, 'flamenco_http_request_duration_seconds_count', { method: 'GET', route: '/healthz' })).toBe(1);
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
  });

  it('stops at once with event streams open, ending them', async () => {
    const s = await startServe(['--data-dir', tempDir()]);
    const c = await openEvents(s.url);
    await c.waitFor((e) => e.event === 'ready');
    const stopped = await s.stop();
    expect(stopped.code).toBe(0);
    await c.ended;
  });
});
