// Output that scales: tables fit the terminal (or not, with -o wide), colour only on a terminal
// and without NO_COLOR, --limit/--all, the current jobs by default, task filters, --json everywhere.
import { describe, expect, it } from 'vitest';
import { testManager } from '../helpers/env';
import { addWorker, complete, mustClaim, submitCustom } from '../helpers/domain';
import { parseTable, runCli, runJson } from '../helpers/cli';
import { RECENT_MS } from '../../src/core/listing';

const LONG = 'a job name much longer than any terminal would like to show in one column';

describe('tables and colour', { timeout: 30_000 }, () => {
  it('fit the terminal width with …, show everything with -o wide or on a pipe', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'render-1-10' }], { name: LONG });
    const d = ['--data-dir', tm.dataDir];
    const narrow = await runCli(['jobs', ...d], { tty: { columns: 100 }, env: { NO_COLOR: '1' } });
    expect(narrow.code).toBe(0);
    const lines = narrow.stdout.trimEnd().split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(narrow.stdout).toContain('…');
    expect(narrow.stdout).toContain(job);
    const wide = await runCli(['jobs', '-o', 'wide', ...d], { tty: { columns: 100 }, env: { NO_COLOR: '1' } });
    expect(wide.stdout).toContain(LONG);
    const pipe = await runCli(['jobs', ...d]);
    expect(pipe.stdout).toContain(LONG);
    expect((await runCli(['jobs', '-o', 'tall', ...d])).code).toBe(2);
  });

  it('colours statuses on a terminal only, and not with NO_COLOR', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    complete(tm, w, mustClaim(tm, w).id);
    const d = ['--data-dir', tm.dataDir];
    const tty = await runCli(['jobs', '--all', ...d], { tty: { columns: 200 }, env: { NO_COLOR: undefined } });
    expect(tty.stdout).toContain('\x1b[32mcompleted\x1b[0m');
    const noColor = await runCli(['jobs', '--all', ...d], { tty: { columns: 200 }, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\x1b[');
    const pipe = await runCli(['job', job, ...d], { env: { NO_COLOR: undefined } });
    expect(pipe.stdout).not.toContain('\x1b[');
    expect(parseTable(noColor.stdout, ['JOB', 'NAME', 'TYPE', 'STATUS', 'PRIO'])[0]!.STATUS).toBe('completed');
  });
});

describe('--limit, --all and the current jobs', { timeout: 30_000 }, () => {
  it('jobs and queue-status show unfinished and recently finished jobs; --all shows every job', async () => {
    const tm = testManager();
    const d = ['--data-dir', tm.dataDir];
    const old = submitCustom(tm, [{ name: 'a' }], { name: 'old' });
    const recent = submitCustom(tm, [{ name: 'a' }], { name: 'recent' });
    const w = await addWorker(tm);
    complete(tm, w, mustClaim(tm, w).id);
    complete(tm, w, mustClaim(tm, w).id);
    // The CLI runs on the real clock: date the two finished jobs against it.
    const finished = tm.db.prepare('UPDATE jobs SET updated = ? WHERE id = ?');
    finished.run(Date.now() - RECENT_MS - 60_000, old);
    finished.run(Date.now() - 60_000, recent);
    const fresh = submitCustom(tm, [{ name: 'a' }], { name: 'fresh' });
    const ids = (list: { id: string }[]) => list.map((j) => j.id);
    expect(ids(await runJson(['jobs', ...d]))).toEqual([recent, fresh]);
    expect(ids(await runJson(['jobs', '--all', ...d]))).toEqual([old, recent, fresh]);
    expect(ids((await runJson(['queue-status', ...d])).jobs)).toEqual([recent, fresh]);
    expect(ids((await runJson(['queue-status', '--all', ...d])).jobs)).toEqual([old, recent, fresh]);
    // The totals count every job.
    expect((await runJson(['queue-status', ...d])).tasks.completed).toBe(2);
  });

  it('--limit shows the newest n and says how many more there are', async () => {
    const tm = testManager();
    const d = ['--data-dir', tm.dataDir];
    const jobs = [1, 2, 3].map((n) => submitCustom(tm, [{ name: 'a' }], { name: `job ${n}` }));
    expect((await runJson(['jobs', '--limit', '2', ...d])).map((j: { id: string }) => j.id)).toEqual(jobs.slice(1));
    const human = await runCli(['jobs', '--limit', '2', ...d]);
    expect(human.stdout).toMatch(/\n\(1 more older job not shown; use --limit n or --all\)\n$/);
    expect((await runCli(['jobs', '--limit', '0', ...d])).code).toBe(2);
    expect((await runCli(['jobs', '--limit', '2', '--all', ...d])).code).toBe(2);
  });

  it('list-workers shows every worker unless --limit, and says how many more there are', async () => {
    const tm = testManager();
    const d = ['--data-dir', tm.dataDir];
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await addWorker(tm));
    expect((await runJson(['list-workers', ...d])).map((w: { id: string }) => w.id)).toEqual(ids);
    expect((await runJson(['list-workers', '--limit', '2', ...d])).map((w: { id: string }) => w.id)).toEqual(ids.slice(0, 2));
    expect((await runCli(['list-workers', '--limit', '2', ...d])).stdout).toMatch(/\n\(1 more worker not shown; use --limit n or --all\)\n$/);
    expect((await runCli(['list-workers', '--all', ...d])).stdout).not.toContain('not shown');
    expect((await runCli(['list-workers', '--limit', '2', '--all', ...d])).code).toBe(2);
  });

  it('job --status filters tasks; --limit cuts the task list', async () => {
    const tm = testManager();
    const d = ['--data-dir', tm.dataDir];
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const w = await addWorker(tm);
    complete(tm, w, mustClaim(tm, w).id);
    const done = await runJson(['job', job, '--status', 'completed', ...d]);
    expect(done.task_list.map((t: { name: string }) => t.name)).toEqual(['a']);
    expect((await runJson(['job', job, '--limit', '2', ...d])).task_list).toHaveLength(2);
    const human = await runCli(['job', job, '--status', 'queued', '--limit', '1', ...d]);
    expect(human.stdout).toContain('(1 more task not shown; use --limit n or --all)');
    const bad = await runCli(['job', job, '--status', 'done', ...d]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('status: "done" is not a task status') });
  });
});

describe('--json nits', { timeout: 30_000 }, () => {
  it('queue-status counts never-signed-on workers as "registered"; status_requested is null', async () => {
    const tm = testManager();
    await addWorker(tm);
    const q = await runJson(['queue-status', '--data-dir', tm.dataDir]);
    expect(Object.keys(q.workers)).not.toContain('');
    expect(q.workers).toMatchObject({ registered: 0, awake: 1 });
    expect((await runJson(['list-workers', '--data-dir', tm.dataDir]))[0].status_requested).toBeNull();
  });

  it('set-priority and pause-job answer with the job without its tasks', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const d = ['--data-dir', tm.dataDir];
    const p = await runJson(['set-priority', job, '10', ...d]);
    expect(p).toEqual(tm.manager.readModels.jobSummary(job));
    expect(p.task_list).toBeUndefined();
    expect((await runJson(['pause-job', job, ...d])).task_list).toBeUndefined();
  });

  it('admin-token and task-log print JSON', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const t = mustClaim(tm, w);
    await tm.manager.taskLogs.append(job, t.id, 'hello');
    const d = ['--data-dir', tm.dataDir];
    expect((await runJson(['admin-token', ...d])).token).toMatch(/\S{16,}/);
    expect(await runJson(['task-log', t.id, ...d])).toMatchObject({ task: t.id, job, status: 'active', runs: [{ run: 1, worker: expect.stringContaining(w), log: expect.stringContaining('hello\n') }] });
  });
});
