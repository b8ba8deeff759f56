// Admin-token rotation against a real serve process: `admin-token --rotate` makes a new token that
// serve accepts at once, and the old one is refused, without a restart. The token file is the one
// source of truth: deleting it and running `admin-token` also gives a token serve takes.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { request, tempDir } from '../helpers/env';
import { runCli, startServe, STACK_LINE } from '../helpers/cli';

/** POST needs the token wherever the request comes from (GET is open to trusted networks). */
async function accepted(url: string, token: string): Promise<boolean> {
  const r = await request(url, 'POST', '/api/jobs', { auth: `Bearer ${token}`, body: { name: 'x', job_type: 'sleep', settings: { frames: '1', time_in_seconds: 0 } } });
  if (r.status !== 201 && r.status !== 401) throw new Error(`unexpected ${r.status}: ${r.text}`);
  return r.status === 201;
}

describe('admin-token --rotate', { timeout: 60_000 }, () => {
  it('gives a new token that serve takes at once; the old one is refused; no restart', async () => {
    const dir = tempDir();
    const serve = await startServe(['--data-dir', dir]);
    try {
      const d = ['--data-dir', dir];
      const old = (await runCli(['admin-token', ...d])).stdout.trim();
      expect(await accepted(serve.url, old)).toBe(true);

      const r = await runCli(['admin-token', '--rotate', ...d]);
      expect(r.code).toBe(0);
      const fresh = r.stdout.trim();
      expect(fresh).toMatch(/^\S{32}$/);
      expect(fresh).not.toBe(old);
      expect(r.stderr).toContain('the old token is refused from now on');
      expect(statSync(path.join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
      expect((await runCli(['admin-token', ...d])).stdout.trim()).toBe(fresh);
      expect(await accepted(serve.url, fresh)).toBe(true);
      expect(await accepted(serve.url, old)).toBe(false);
      // The remote CLI with the new token.
      expect((await runCli(['jobs', '--json', '--manager', serve.url, '--token', fresh])).code).toBe(0);
      expect((await runCli(['jobs', '--manager', serve.url, '--token', old])).code).toBe(10);

      // Deleting the file and asking again: serve takes what admin-token prints.
      rmSync(path.join(dir, 'admin-token'));
      const again = (await runCli(['admin-token', ...d])).stdout.trim();
      expect(again).not.toBe(fresh);
      expect(await accepted(serve.url, again)).toBe(true);
      expect(await accepted(serve.url, fresh)).toBe(false);
      expect(serve.proc.exitCode).toBeNull();
    } finally {
      await serve.stop();
    }
  });

  it('refuses --rotate with a manager URL, and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const serve = await startServe(['--data-dir', dir]);
    try {
      const token = readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
      const r = await runCli(['admin-token', '--rotate', '--manager', serve.url, '--token', token]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        "flamenco-mgr: admin-token --rotate writes the data directory's token file: run it on the manager's machine (with --data-dir), not with a manager URL\n",
      );
      expect(r.stderr).not.toContain(STACK_LINE);
      expect(await accepted(serve.url, token)).toBe(true);
      await runCli(['admin-token', '--rotate', '--data-dir', dir]);
      expect(existsSync(path.join(dir, `admin-token.${process.pid}.new`))).toBe(false);
    } finally {
      await serve.stop();
    }
  });
});
