// Every command on a data directory uses the configuration that directory's serve runs with:
// serve records it there (serve-config.json), and the CLI loads it.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Manager } from '../../src/core/manager';
import { openDatabase } from '../../src/db/open';
import { request, tempDir } from '../helpers/env';
import { runCli, runJson, startServe } from '../helpers/cli';

const CONFIG = {
  listen: '127.0.0.1:0',
  job_fail_share: 0.5,
  variables: {
    render: {
      direction: 'two-way',
      values: [
        { platform: 'linux', value: '/mnt/render' },
        { platform: 'windows', value: 'S:/render' },
      ],
    },
  },
};

function job(name: string) {
  return {
    name,
    job_type: 'custom',
    tasks: [{ name: 'copy', task_type: 'file-management', commands: [{ name: 'copy_file', settings: { src: 'S:\\render\\shot12\\a.exr', dest: '/mnt/render/shot12/b.exr' } }] }],
  };
}

function storedSettings(dir: string, jobId: string): unknown {
  const db = openDatabase(dir);
  try {
    return new Manager({ db, dataDir: dir }).repos.tasks.listForJob(jobId)[0]!.commands[0]!.settings;
  } finally {
    db.close();
  }
}

describe("serve's configuration reaches every command", { timeout: 60_000 }, () => {
  it('submit stores paths under a two-way variable as {render}/… exactly like POST /api/jobs', async () => {
    const dir = tempDir();
    const file = path.join(tempDir(), 'farm.json');
    writeFileSync(file, JSON.stringify(CONFIG));
    const s = await startServe(['--data-dir', dir, '--config', file]);
    const token = (await runCli(['admin-token', '--data-dir', dir])).stdout.trim();
    const viaHttp = await request(s.url, 'POST', '/api/jobs', { auth: `Bearer ${token}`, body: job('http') });
    expect(viaHttp.status, viaHttp.text).toBe(201);
    const viaCli = await runJson(['submit', '-', '--data-dir', dir], { input: JSON.stringify(job('cli')) });
    const expected = { src: '{render}/shot12/a.exr', dest: '{render}/shot12/b.exr' };
    expect(storedSettings(dir, viaHttp.json.id)).toEqual(expected);
    expect(storedSettings(dir, viaCli.id)).toEqual(expected);

    // The record stays after serve stopped: the commands keep acting as that serve would.
    expect((await s.stop()).code).toBe(0);
    const later = await runJson(['submit', '-', '--data-dir', dir], { input: JSON.stringify(job('later')) });
    expect(storedSettings(dir, later.id)).toEqual(expected);
  });

  it('is recorded readable by the owner only (it holds the registration secret)', async () => {
    const dir = tempDir();
    const file = path.join(tempDir(), 'farm.json');
    writeFileSync(file, JSON.stringify({ ...CONFIG, registration_secret: 'farm-secret-123' }));
    const s = await startServe(['--data-dir', dir, '--config', file]);
    const record = path.join(dir, 'serve-config.json');
    expect(statSync(record).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ registration_secret: 'farm-secret-123', job_fail_share: 0.5, listen: '127.0.0.1:0' });
    expect((await s.stop()).code).toBe(0);
  });

  it('a damaged record is a clear error for the commands, not a silent fallback to defaults', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    expect((await s.stop()).code).toBe(0);
    writeFileSync(path.join(dir, 'serve-config.json'), '{"job_fail_share": 7}');
    const r = await runCli(['submit', '-', '--data-dir', dir], { input: JSON.stringify(job('x')) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flamenco-mgr: serve's recorded configuration \S+serve-config\.json: job_fail_share: must be a number in \(0, 1\]/);
  });
});
