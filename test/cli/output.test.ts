// Output that scales: tables fit the terminal (or not, with -o wide), colour only on a terminal
// and without NO_COLOR, --limit/--all, the current jobs by default, task filters, --json everywhere.
import { describe, expect, it } from 'vitest';
import { testManager } from '../helpers/env';
import { addWorker, complete, mustClaim, report, submitCustom } from '../helpers/domain';
import { parseTable, runCli, runJson } from '../helpers/cli';
import { RECENT_MS } from '../../src/core/listing';
import { uniquePrefixLength } from '../../src/cli/format';

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
    expect(narrow.stdout).toContain(`${job.slice(0, 8)} `);
    const wide = await runCli(['jobs', '-o', 'wide', ...d], { tty: { columns: 100 }, env: { NO_COLOR: '1' } });
    expect(wide.stdout).toContain(LONG);
    expect(wide.stdout).toContain(job);
    const pipe = await runCli(['jobs', ...d]);
    expect(pipe.stdout).toContain(LONG);
    expect((await runCli(['jobs', '-o', 'tall', ...d])).code).toBe(2);
  });

  it('at 80 columns shorten ids to their shortest unique prefix before they cut names; -o wide shows them whole', async () => {
    const tm = testManager();
    const names = ['shot 010 lighting pass', 'shot 020 lighting pass', 'shot 030 fx'];
    const jobs: string[] = [];
    for (const name of names) {
      jobs.push(submitCustom(tm, [{ name: 'render-1-10' }], { name }));
      tm.clock.advance(5000); // ids made in other seconds differ in their first 8 characters
    }
    const d = ['--data-dir', tm.dataDir];
    const tty = { tty: { columns: 80 }, env: { NO_COLOR: '1' } };
    const narrow = await runCli(['jobs', ...d], tty);
    for (const l of narrow.stdout.trimEnd().split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    const rows = parseTable(narrow.stdout, ['JOB', 'NAME', 'TYPE', 'STATUS', 'PRIO']);
    expect(rows.map((r) => r.NAME)).toEqual(names);
    expect(rows.map((r) => r.JOB)).toEqual(jobs.map((j) => j.slice(0, 8)));
    // A shown prefix is a usable reference.
    expect((await runJson(['job', rows[1]!.JOB!, ...d])).name).toBe(names[1]);
    const wide = await runCli(['jobs', '-o', 'wide', ...d], tty);
    expect(parseTable(wide.stdout, ['JOB', 'NAME', 'TYPE', 'STATUS', 'PRIO']).map((r) => r.JOB)).toEqual(jobs);
    // Workers too: the id gives way first.
    const w = await addWorker(tm);
    const workers = await runCli(['list-workers', ...d], tty);
    expect(parseTable(workers.stdout, ['ID', 'NICKNAME'])[0]!.ID).toBe(w.slice(0, 8));
  });

  it('at 80 columns leave out the columns a name is worth more than: task ids of a job, worker details', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1, job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 'render-0001-0010' }, { name: 'render-0011-0020' }], { name: 'shot 12' });
    const w = await addWorker(tm, { nickname: 'render-node-07' });
    const t = mustClaim(tm, w);
    const reason = 'exit 47: no tile_x';
    await report(tm, w, t.id, { task_status: 'failed', activity: reason });
    const d = ['--data-dir', tm.dataDir];
    const tty = { tty: { columns: 80 }, env: { NO_COLOR: '1' } };
    const detail = await runCli(['job', job, ...d], tty);
    const tasks = detail.stdout.slice(detail.stdout.indexOf('\nNAME'));
    for (const l of tasks.trim().split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(tasks).toContain('render-0001-0010');
    expect(tasks).toContain(reason);
    expect(tasks).not.toContain(t.id);
    // -o wide: the ids again.
    expect((await runCli(['job', job, '-o', 'wide', ...d], tty)).stdout).toContain(t.id);
    const workers = await runCli(['list-workers', ...d], tty);
    for (const l of workers.stdout.trim().split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(parseTable(workers.stdout, ['ID', 'NICKNAME', 'STATUS'])[0]).toMatchObject({ ID: w.slice(0, 8), NICKNAME: 'render-node-07' });
    expect(workers.stdout).not.toContain('TASK TYPES');
    const wide = await runCli(['list-workers', '-o', 'wide', ...d], tty);
    for (const h of ['PLATFORM', 'ADDRESS', 'TASK TYPES', 'TAGS']) expect(wide.stdout).toContain(h);
    // On a pipe every column is there.
    expect((await runCli(['list-workers', ...d])).stdout).toContain('TASK TYPES');
  });

  it('shortest unique prefixes: at least 8 characters, as long as two ids need', () => {
    expect(uniquePrefixLength(['aaaaaaaa11', 'bbbbbbbb22'])).toBe(8);
    expect(uniquePrefixLength(['aaaaaaaaa1x', 'aaaaaaaaa2x', 'b'])).toBe(10);
    expect(uniquePrefixLength(['abc', 'abc'])).toBe(3);
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
    expect(await runJson(['task-log', t.id, ...d])).toMatchObject({
      task: t.id,
      job,
      status: 'active',
      runs: [{ run: 1, worker: expect.stringContaining(w), log: expect.stringContaining('hello\n') }],
    });
  });
});
