// A config path that is no regular file (a FIFO nobody writes to, a directory, a device) is
// refused with one line, at start and on SIGHUP, instead of blocking serve until it is written.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { request, tempDir } from '../helpers/env';
import { runCliProcess, startServe, STACK_LINE, waitFor } from '../helpers/cli';

describe('a config path that is not a regular file', { timeout: 60_000 }, () => {
  it('is refused at start with one line and exit 2: a FIFO, a directory, a device', async () => {
    const dir = tempDir();
    const fifo = path.join(tempDir(), 'farm.json');
    execFileSync('mkfifo', [fifo]);
    const folder = path.join(tempDir(), 'conf.d');
    mkdirSync(folder);
    for (const [file, why] of [
      [fifo, 'is not a regular file'],
      [folder, 'is a directory'],
      ['/dev/zero', 'is not a regular file'],
    ] as const) {
      const r = await runCliProcess(['serve', '--data-dir', dir, '--config', file, '--no-ssdp'], { timeout: 15_000 });
      expect(r.signal, `${file} (killed: it hung)`).toBeNull();
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`cannot read config file ${file}: ${why}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain(STACK_LINE);
    }
  });

  it('is refused on SIGHUP: serve logs one error line and goes on answering with its configuration', async () => {
    const dir = tempDir();
    const file = path.join(tempDir(), 'farm.json');
    writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:0' }));
    const s = await startServe(['--data-dir', dir, '--config', file]);
    rmSync(file);
    execFileSync('mkfifo', [file]);
    s.proc.kill('SIGHUP');
    await waitFor(() => s.stderr().includes('config reload failed'), 10_000, 'the failed reload line');
    expect(s.stderr()).toMatch(/level=error msg="config reload failed; the running configuration stays" error=".*is not a regular file/);
    // Not blocked: it answers at once.
    expect((await request(s.url, 'GET', '/no-such-thing')).status).toBe(404);
    expect((await s.stop()).code).toBe(0);
  });
});
