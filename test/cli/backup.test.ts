// `backup` writes a consistent copy of the database, also while serve runs.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env';
import { farmDir, runCli, startServe, STACK_LINE } from '../helpers/cli';

const JOB = JSON.stringify({ name: 'kept', job_type: 'sleep', settings: { frames: '1-3', time_in_seconds: 0 } });


describe('backup', () => {
  it('copies the farm while serve runs, and the copy opens as a data directory', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const serve = await startServe(['--data-dir', dir]);
    try {
      expect((await runCli(['submit', '-', '--data-dir', dir], { input: JOB })).code).toBe(0);
      const outDir = tempDir();
      const target = path.join(outDir, 'flamenco-mgr.sqlite');
      const r = await runCli(['backup', target, '--data-dir', dir, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ file: target });
      // As private as the database, whatever the umask (the test process runs with 022).
      expect(statSync(target).mode & 0o777).toBe(0o600);
      // The copy is a complete data directory's database: the CLI reads the job back from it.
      const jobs = await runCli(['jobs', '--json', '--data-dir', outDir]);
      expect(jobs.code).toBe(0);
      expect(JSON.parse(jobs.stdout).map((j: { name: string }) => j.name)).toEqual(['kept']);
    } finally {
      await serve.stop();
    }
  });

  it('refuses to overwrite a file, a missing directory, and a data directory without a database', async () => {
    const dir = farmDir();
    const existing = path.join(dir, 'flamenco-mgr.sqlite');
    const over = await runCli(['backup', existing, '--data-dir', dir]);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('already exists');
    const nowhere = await runCli(['backup', path.join(dir, 'no', 'such', 'dir', 'x.sqlite'), '--data-dir', dir]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('no such directory');
    const empty = tempDir();
    const target = path.join(tempDir(), 'copy.sqlite');
    const none = await runCli(['backup', target, '--data-dir', empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no flamenco-mgr database');
    expect(existsSync(target)).toBe(false);
    for (const r of [over, nowhere, none]) expect(r.stderr).not.toContain(STACK_LINE);
  });
});
