// serve and its database file: a damaged database is refused at start, a missing or empty one
// where a farm was is refused unless the operator says the farm is new, and a database deleted or
// replaced under a running serve stops it loudly.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Manager } from '../../src/core/manager';
import { openDatabase } from '../../src/db/open';
import { customJob, tempDir } from '../helpers/env';
import { runCli, STACK_LINE, startServe } from '../helpers/cli';

const DB = 'flamenco-mgr.sqlite';

/** A farm's data directory with a job of many tasks, so the database spans many pages. */
function farmWithJobs(): string {
  const dir = tempDir();
  const db = openDatabase(dir);
  const m = new Manager({ db, dataDir: dir });
  m.jobs.submit(customJob(Array.from({ length: 3000 }, (_, i) => ({ name: `task-${i}` }))));
  db.close();
  return dir;
}

/** Overwrites pages in the middle of the database file with garbage, as a failing disk would. */
function damagePages(dir: string): void {
  const file = path.join(dir, DB);
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
  closeSync(fd);
}

async function refused(args: string[], dir: string, ...messages: (string | RegExp)[]) {
  const r = await runCli(['serve', '--data-dir', dir, '--listen', '127.0.0.1:0', '--no-ssdp', ...args]);
  expect(r.code, r.stderr).toBe(2);
  for (const m of messages) {
    if (typeof m === 'string') expect(r.stderr).toContain(m);
    else expect(r.stderr).toMatch(m);
  }
  expect(r.stderr).toMatch(/^flamenco-mgr: [^\n]*\n$/);
  expect(r.stderr).not.toContain(STACK_LINE);
  expect(r.stdout).not.toContain('serving on');
  expect(existsSync(path.join(dir, 'serve.lock'))).toBe(false);
  return r;
}

describe('a damaged database', { timeout: 60_000 }, () => {
  it('is refused at start, naming backup and restore', async () => {
    const dir = farmWithJobs();
    damagePages(dir);
    await refused([], dir, `the database ${path.join(dir, DB)} is damaged (PRAGMA quick_check: `, "restore it from a backup (made with 'flamenco-mgr backup')");
  });

  it('is checked again after a clean stop once the file changed', async () => {
    const dir = farmWithJobs();
    const s = await startServe(['--data-dir', dir, '--log-level', 'debug']);
    expect(s.stderr()).toContain('msg="database integrity checked"');
    expect((await s.stop()).code).toBe(0);
    // Untouched since the clean stop: the check is skipped, which keeps restarts of big farms fast.
    const again = await startServe(['--data-dir', dir, '--log-level', 'debug']);
    expect(again.stderr()).toContain('integrity check skipped');
    expect((await again.stop()).code).toBe(0);
    damagePages(dir);
    await refused([], dir, 'is damaged (PRAGMA quick_check: ');
  });
});

describe('a missing or empty database where a farm was', { timeout: 60_000 }, () => {
  it('an empty (0-byte) file is refused unless --new-farm, and nothing is written to it', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'task-logs'));
    writeFileSync(path.join(dir, DB), '');
    await refused([], dir, `the database ${path.join(dir, DB)} is empty (0 bytes), but ${dir} held a farm (it has task-logs)`, '--new-farm', 'backup');
    expect(statSync(path.join(dir, DB)).size).toBe(0);
    const s = await startServe(['--data-dir', dir, '--new-farm']);
    expect((await s.stop()).code).toBe(0);
    expect(statSync(path.join(dir, DB)).size).toBeGreaterThan(0);
  });

  it('a deleted database is refused where the farm left its admin token and recorded configuration', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    await runCli(['admin-token', '--data-dir', dir]);
    expect((await s.stop()).code).toBe(0);
    rmSync(path.join(dir, DB));
    await refused([], dir, `the database ${path.join(dir, DB)} is missing, but ${dir} held a farm (it has admin-token, serve-config.json)`);
    expect(existsSync(path.join(dir, DB))).toBe(false);
  });

  it('a new, empty data directory (or one with only a stale lock) starts as a new farm', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'serve.lock'), JSON.stringify({ pid: 999999, listen: 'x', started: 'y' }));
    const s = await startServe(['--data-dir', dir]);
    expect((await s.stop()).code).toBe(0);
  });
});

describe('a database that goes away while serving', { timeout: 60_000 }, () => {
  it('deleted: serve stops with a clear line and a non-zero exit', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    rmSync(path.join(dir, DB));
    const r = await s.exited;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/level=error msg="the database file \S+ was deleted while serve was running; stopping/);
    expect(r.stderr).toContain(`flamenco-mgr: the database file ${path.join(dir, DB)} was deleted while serve was running; serve stopped`);
    expect(r.stderr).not.toContain(STACK_LINE);
    expect(existsSync(path.join(dir, 'serve.lock'))).toBe(false);
  });

  it('replaced by another file: serve stops with a clear line and a non-zero exit', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    copyFileSync(path.join(dir, DB), path.join(dir, 'copy.sqlite'));
    renameSync(path.join(dir, 'copy.sqlite'), path.join(dir, DB));
    const r = await s.exited;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('was replaced by another file while serve was running');
  });
});
