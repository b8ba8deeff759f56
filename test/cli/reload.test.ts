// SIGHUP re-reads serve's config file: what can change while serving is applied, the rest is
// named as needing a restart, and serve keeps running (without dying and leaving serve.lock behind).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { request, tempDir } from '../helpers/env';
import { startServe, STACK_LINE, waitFor } from '../helpers/cli';

const REG = { secret: 'a-long-enough-secret-123', platform: 'linux', nickname: 'w', supported_task_types: ['sleep'] };

describe('serve on SIGHUP', { timeout: 60_000 }, () => {
  it('applies timeouts, thresholds, variables and the registration secret, names what needs a restart, and keeps serving', async () => {
    const dir = tempDir();
    const file = path.join(tempDir(), 'farm.json');
    writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:0', worker_timeout: '60s' }));
    const s = await startServe(['--data-dir', dir, '--config', file]);
    expect((await request(s.url, 'POST', '/register-worker', { body: REG })).status).toBe(200);

    writeFileSync(
      file,
      JSON.stringify({
        listen: '127.0.0.1:1',
        worker_timeout: '30s',
        blocklist_threshold: 5,
        registration_secret: 'new-registration-secret',
        variables: { render: { direction: 'two-way', values: [{ platform: 'linux', value: '/mnt/render' }] } },
      }),
    );
    s.proc.kill('SIGHUP');
    await waitFor(() => s.stderr().includes('msg="config reloaded"'), 10_000, 'the reload log line');
    const line = s
      .stderr()
      .split('\n')
      .find((l) => l.includes('msg="config reloaded"'))!;
    expect(line).toContain('applied=worker_timeout,blocklist_threshold,registration_secret,variables');
    expect(line).toContain('needs_restart=listen');
    expect(s.stderr()).toMatch(/level=warn msg="config changes that take effect only after a restart of serve" keys=listen/);

    // The new secret is in force at once, and recorded for the other commands.
    const r = await request(s.url, 'POST', '/register-worker', { body: REG });
    expect(r.status).toBe(403);
    expect(JSON.parse(readFileSync(path.join(dir, 'serve-config.json'), 'utf8')).registration_secret).toBe('new-registration-secret');

    // A broken file is reported and changes nothing.
    writeFileSync(file, '{"worker_timeout": ');
    s.proc.kill('SIGHUP');
    await waitFor(() => s.stderr().includes('config reload failed'), 10_000, 'the failed reload line');
    expect((await request(s.url, 'POST', '/register-worker', { body: REG })).status).toBe(403);

    const stopped = await s.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).not.toContain(STACK_LINE);
    expect(existsSync(path.join(dir, 'serve.lock'))).toBe(false);
  });

  it('without a config file, says there is nothing to reload and keeps serving', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    s.proc.kill('SIGHUP');
    await waitFor(() => s.stderr().includes('nothing to reload'), 10_000, 'the log line');
    expect((await request(s.url, 'GET', '/nothing')).status).toBe(404);
    expect((await s.stop()).code).toBe(0);
    expect(existsSync(path.join(dir, 'serve.lock'))).toBe(false);
  });
});
