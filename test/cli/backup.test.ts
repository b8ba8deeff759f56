// `backup` writes a complete backup (the database, consistent while serve runs, with the task
// logs and the admin token) into a new directory; `restore` puts it into an empty data directory.
// A task that ran but whose log is gone (a database restored on its own) is said to be so.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/db/open';
import { tempDir, testManager } from '../helpers/env';
import { addWorker, mustClaim, report, submitCustom } from '../helpers/domain';
import { farmDir, runCli, runJson, startServe, STACK_LINE } from '../helpers/cli';

const JOB = JSON.stringify({ name: 'kept', job_type: 'sleep', settings: { frames: '1-3', time_in_seconds: 0 } });

/** A farm with a task that ran: it has a log of two lines. */
async function farmWithLog() {
  const tm = testManager();
  const job = submitCustom(tm, [{ name: 'render-1-10' }, { name: 'render-11-20' }], { name: 'shot 7' });
  const w = await addWorker(tm);
  const task = mustClaim(tm, w);
  await report(tm, w, task.id, { task_status: 'active', log: 'Fra:1 rendering\nSaved: frame 1' });
  await tm.manager.taskLogs.idle();
  return { tm, job, task: task.id };
}

describe('backup', () => {
  it('copies the farm while serve runs, and the copy opens as a data directory', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const serve = await startServe(['--data-dir', dir]);
    try {
      expect((await runCli(['submit', '-', '--data-dir', dir], { input: JOB })).code).toBe(0);
      const target = path.join(tempDir(), 'backup');
      const r = await runCli(['backup', target, '--data-dir', dir, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ dir: target, database: path.join(target, DB_FILE), admin_token: true });
      // The backup is a data directory: the CLI reads the job back from it.
      const jobs = await runCli(['jobs', '--json', '--data-dir', target]);
      expect(jobs.code).toBe(0);
      expect(JSON.parse(jobs.stdout).map((j: { name: string }) => j.name)).toEqual(['kept']);
    } finally {
      await serve.stop();
    }
  });

  it('writes the task logs with the database, and restore brings both back', async () => {
    const { tm, task } = await farmWithLog();
    const d = ['--data-dir', tm.dataDir];
    expect((await runCli(['admin-token', ...d])).code).toBe(0);
    const before = await runCli(['task-log', task, ...d]);
    expect(before.stdout).toContain('Saved: frame 1');
    const target = path.join(tempDir(), 'backup-monday');
    const human = await runCli(['backup', target, ...d]);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toMatch(/^wrote .*backup-monday: the database \(\d+ pages\), 1 task log file \([\d.]+ MiB\), the admin token\n$/);
    expect(readdirSync(target).sort()).toEqual(['admin-token', DB_FILE, 'task-logs']);
    for (const f of [target, path.join(target, DB_FILE), path.join(target, 'admin-token')]) expect(statSync(f).mode & 0o077).toBe(0);

    const restored = path.join(tempDir(), 'farm');
    const r = await runJson(['restore', target, '--data-dir', restored]);
    expect(r).toMatchObject({ data_dir: restored, task_logs: { files: 1, kept: 0 }, admin_token: true });
    expect(readFileSync(path.join(restored, 'admin-token'), 'utf8')).toBe(readFileSync(path.join(tm.dataDir, 'admin-token'), 'utf8'));
    const after = await runCli(['task-log', task, '--data-dir', restored]);
    expect(after).toMatchObject({ code: 0, stdout: before.stdout });
    expect((await runJson(['jobs', '--data-dir', restored])).map((j: { name: string }) => j.name)).toEqual(['shot 7']);
    // serve starts on the restored directory.
    const serve = await startServe(['--data-dir', restored]);
    await serve.stop();
    expect(serve.proc.exitCode).toBe(0);

    // As docs/running.md does it: the database moved aside, the logs still there, which are kept.
    mkdirSync(path.join(restored, 'broken'));
    for (const f of readdirSync(restored).filter((f) => f.startsWith(DB_FILE))) renameSync(path.join(restored, f), path.join(restored, 'broken', f));
    const again = await runCli(['restore', target, '--data-dir', restored]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toBe(`restored ${target} into ${restored}: the database, 0 task log files (1 already there, kept); start serve on it\n`);
    expect((await runCli(['task-log', task, '--data-dir', restored])).stdout).toBe(before.stdout);
  }, 60_000);

  it('restore refuses a directory that holds a farm, a directory that is no backup, and a manager URL', async () => {
    const { tm } = await farmWithLog();
    const target = path.join(tempDir(), 'b');
    expect((await runCli(['backup', target, '--data-dir', tm.dataDir])).code).toBe(0);
    const taken = await runCli(['restore', target, '--data-dir', tm.dataDir]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain("already holds a farm's database; restore into an empty data directory");
    const notBackup = await runCli(['restore', tempDir(), '--data-dir', tempDir()]);
    expect(notBackup.code).toBe(2);
    expect(notBackup.stderr).toMatch(/is not a flamenco-mgr backup: it has no flamenco-mgr\.sqlite/);
    const remote = await runCli(['restore', target, '--manager', 'http://127.0.0.1:1']);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("restore reads the data directory itself: run it on the manager's machine");
    for (const x of [taken, notBackup, remote]) expect(x.stderr).not.toContain(STACK_LINE);
  });

  it('refuses an existing target, a missing directory, and a data directory without a database', async () => {
    const dir = farmDir();
    const over = await runCli(['backup', dir, '--data-dir', dir]);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('already exists');
    const nowhere = await runCli(['backup', path.join(dir, 'no', 'such', 'dir', 'x'), '--data-dir', dir]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain(
      `${path.join(dir, 'no', 'such', 'dir')}: no such directory; backup makes only the last part of the path: create the folder it goes in first (mkdir -p ${path.join(dir, 'no', 'such', 'dir')})`,
    );
    const empty = tempDir();
    const target = path.join(tempDir(), 'copy');
    const none = await runCli(['backup', target, '--data-dir', empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no flamenco-mgr database');
    expect(existsSync(target)).toBe(false);
    for (const r of [over, nowhere, none]) expect(r.stderr).not.toContain(STACK_LINE);
  });
});

describe('task-log of a task whose log file is gone', () => {
  it('says so and exits non-zero, locally and remotely; a task that never ran has an empty log', async () => {
    const { tm, task, job } = await farmWithLog();
    // The database on its own, as a copy of only the .sqlite file restores it.
    const lost = tempDir();
    const target = path.join(tempDir(), 'b');
    expect((await runCli(['backup', target, '--data-dir', tm.dataDir])).code).toBe(0);
    mkdirSync(lost, { recursive: true });
    copyFileSync(path.join(target, DB_FILE), path.join(lost, DB_FILE));
    writeFileSync(path.join(lost, 'admin-token'), 'tok-0123456789abcdef\n');
    const r = await runCli(['task-log', task, '--data-dir', lost]);
    expect(r).toMatchObject({ code: 3, stdout: '' });
    expect(r.stderr).toMatch(
      /^flamenco-mgr: task [0-9a-f]{24} has run \(it is active\) but its log file is missing from the data directory's task-logs: was the database restored without its task logs\? .*\n$/,
    );
    expect((await runCli(['task-log', task, '--follow', '--data-dir', lost])).code).toBe(3);
    expect((await runCli(['task-log', task, '--json', '--data-dir', lost])).code).toBe(3);
    // The other task never ran: no log, nothing to complain about, and a word on stderr saying so.
    const queued = await runCli(['task-log', 'shot 7/render-11-20', '--data-dir', lost]);
    expect(queued).toMatchObject({ code: 0, stdout: '' });
    expect(queued.stderr).toMatch(/^task [0-9a-f]{24} has not run yet \(it is queued\): no log\n$/);
    expect((await runCli(['task-log', 'shot 7/render-11-20', '--all-runs', '--data-dir', lost])).stderr).toBe(queued.stderr);
    // Remote: the same line.
    const serve = await startServe(['--data-dir', lost]);
    try {
      const remote = await runCli(['task-log', task, '--manager', serve.url, '--token', 'tok-0123456789abcdef']);
      expect(remote).toMatchObject({ code: 3, stderr: r.stderr });
    } finally {
      await serve.stop();
    }
    void job;
  }, 60_000);
});
