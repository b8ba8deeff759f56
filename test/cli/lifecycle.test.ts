// The job and farm commands as real child processes on a data directory prepared in-process:
// jobs, job, cancel-job, pause-job, resume-job, set-priority, delete-job, task-log, forget-worker,
// blocklist and sleep-schedule. Human and --json output; bad input gets a message and an exit
// code (2 bad value, 3 unknown id, 4 conflict), never a stack trace.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onCleanup, testManager, type TestManager } from '../helpers/env';
import { addWorker, complete, fail, mustClaim, report, submitCustom, tasksByName, workerRec } from '../helpers/domain';
import { BUNDLE, type CliResult, ensureBundle, ROOT, runCli, runJson, STACK_LINE, waitFor } from '../helpers/cli';

const UNKNOWN_ID = '0123456789abcdef01234567';

function dd(tm: TestManager): string[] {
  return ['--data-dir', tm.dataDir];
}

/** A failed command: the exit code, one "flamenco-mgr: <message>" line, no stack trace, no stdout. */
function expectFailure(r: CliResult, code: number, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toContain(STACK_LINE);
  if (typeof message === 'string') expect(r.stderr).toBe(`flamenco-mgr: ${message}\n`);
  else expect(r.stderr).toMatch(message);
}

function ok(r: CliResult): string {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

describe('jobs and job', { timeout: 60_000 }, () => {
  it('lists jobs as a table or JSON, filtered by status', async () => {
    const tm = testManager();
    expect(ok(await runCli(['jobs', ...dd(tm)]))).toBe('no jobs\n');
    const a = submitCustom(tm, [{ name: 'a' }, { name: 'b' }], { name: 'shot 12', priority: 70 });
    const b = submitCustom(tm, [{ name: 'x' }], { name: 'paused one', start_paused: true });
    const w = await addWorker(tm);
    complete(tm, w, mustClaim(tm, w).id);

    const out = ok(await runCli(['jobs', ...dd(tm)]));
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+NAME\s+TYPE\s+STATUS\s+PRIO\s+PROGRESS\s+DONE\s+CREATED$/);
    expect(lines[1]).toMatch(new RegExp(`^${a}\\s+shot 12\\s+custom\\s+active\\s+70\\s+\\[#{10}\\.{10}\\]\\s+50%\\s+1/2\\s+`));
    expect(lines[2]).toMatch(new RegExp(`^${b}\\s+paused one\\s+custom\\s+paused\\s+50\\s+\\[\\.{20}\\]\\s+0%\\s+0/1\\s+`));

    const json = await runJson(['jobs', ...dd(tm)]);
    expect(json).toEqual(tm.manager.readModels.jobs());
    expect((await runJson(['jobs', '--status', 'paused', ...dd(tm)])).map((j: { id: string }) => j.id)).toEqual([b]);
    expectFailure(await runCli(['jobs', '--status', 'bogus', ...dd(tm)]), 2, /^flamenco-mgr: status: "bogus" is not a job status/);
  });

  it('shows one job with its settings and tasks', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'first' }, { name: 'second', parents: ['first'] }], { name: 'shot 12', metadata: { project: 'sprite' } });
    const w = await addWorker(tm, { nickname: 'node-1' });
    mustClaim(tm, w);
    const out = ok(await runCli(['job', job, ...dd(tm)]));
    expect(out).toContain(`job ${job}: shot 12\n`);
    expect(out).toMatch(/^ {2}status: {4}active \(running\)$/m);
    expect(out).toMatch(/^ {2}priority: {2}50$/m);
    expect(out).toMatch(/^ {2}metadata\.project: sprite$/m);
    expect(out).toMatch(/^TASK\s+NAME\s+TYPE\s+STATUS\s+WORKER\s+PROGRESS\s+ACTIVITY$/m);
    expect(out).toMatch(new RegExp(`^${tasksByName(tm, job).first!.id}\\s+first\\s+sleep\\s+active\\s+node-1\\s+0%\\s+assigned to node-1$`, 'm'));
    expect(await runJson(['job', job, ...dd(tm)])).toEqual(tm.manager.readModels.job(job));
    expectFailure(await runCli(['job', UNKNOWN_ID, ...dd(tm)]), 3, `job ${UNKNOWN_ID} not found`);
    expectFailure(await runCli(['job', 'xyz', ...dd(tm)]), 3, 'job xyz not found');
  });
});

describe('cancel-job, pause-job, resume-job', { timeout: 60_000 }, () => {
  it('cancel-job: waiting tasks canceled, the running one asked to stop', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }], { name: 'shot 12' });
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    expect(ok(await runCli(['cancel-job', job, ...dd(tm)]))).toBe(`canceled job ${job} (shot 12); it is now cancel-requested\n`);
    expect(tm.manager.reports.mayIRun(workerRec(tm, w), a.id)).toEqual({ may_keep_running: false, reason: `task ${a.id} in non-runnable status cancel-requested` });
    complete(tm, w, a.id);
    expect(tm.manager.repos.jobs.get(job)!.status).toBe('canceled');
    expectFailure(await runCli(['cancel-job', job, ...dd(tm)]), 4, `job ${job} is canceled; only a queued, active, paused or pause-requested job can be canceled`);
    expectFailure(await runCli(['cancel-job', UNKNOWN_ID, ...dd(tm)]), 3, `job ${UNKNOWN_ID} not found`);

    const other = submitCustom(tm, [{ name: 'x' }]);
    const json = await runJson(['cancel-job', other, ...dd(tm)]);
    expect(json).toEqual(tm.manager.readModels.jobSummary(other));
    expect(json.status).toBe('canceled');
  });

  it('pause-job and resume-job', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }], { name: 'shot 12' });
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    expect(ok(await runCli(['pause-job', job, ...dd(tm)]))).toBe(`paused job ${job} (shot 12); it is now pause-requested\n`);
    expectFailure(await runCli(['pause-job', job, ...dd(tm)]), 4, `job ${job} is pause-requested; only a queued or active job can be paused`);
    complete(tm, w, a.id);
    expect(tm.manager.repos.jobs.get(job)!.status).toBe('paused');
    expectFailure(await runCli(['pause-job', job, ...dd(tm)]), 4, `job ${job} is paused; only a queued or active job can be paused`);

    expect(ok(await runCli(['resume-job', job, ...dd(tm)]))).toBe(`resumed job ${job} (shot 12); it is now queued\n`);
    expectFailure(await runCli(['resume-job', job, ...dd(tm)]), 4, `job ${job} is queued; only a paused or pause-requested job can be resumed`);
    complete(tm, w, mustClaim(tm, w).id);
    expectFailure(await runCli(['resume-job', job, ...dd(tm)]), 4, `job ${job} is completed; only a paused or pause-requested job can be resumed`);
    expectFailure(await runCli(['resume-job', 'nope', ...dd(tm)]), 3, 'job nope not found');

    const other = submitCustom(tm, [{ name: 'x' }]);
    expect((await runJson(['pause-job', other, ...dd(tm)])).status).toBe('paused');
    expect(await runJson(['resume-job', other, ...dd(tm)])).toEqual(tm.manager.readModels.jobSummary(other));
  });
});

describe('set-priority', { timeout: 60_000 }, () => {
  it('changes the priority; bad values exit 2, unknown jobs 3', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    expect(ok(await runCli(['set-priority', job, '80', ...dd(tm)]))).toBe(`job ${job} now has priority 80\n`);
    expect(tm.manager.repos.jobs.get(job)!.priority).toBe(80);
    expect((await runJson(['set-priority', job, '0', ...dd(tm)])).priority).toBe(0);
    expectFailure(await runCli(['set-priority', job, 'high', ...dd(tm)]), 2, 'priority: "high" is not a whole number from 0 to 100');
    expectFailure(await runCli(['set-priority', job, '2.5', ...dd(tm)]), 2, 'priority: "2.5" is not a whole number from 0 to 100');
    expectFailure(await runCli(['set-priority', job, '101', ...dd(tm)]), 2, 'priority: must be an integer from 0 to 100');
    expect(tm.manager.repos.jobs.get(job)!.priority).toBe(0);
    expectFailure(await runCli(['set-priority', UNKNOWN_ID, '10', ...dd(tm)]), 3, `job ${UNKNOWN_ID} not found`);
    const missing = await runCli(['set-priority', job, ...dd(tm)]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'priority'");
  });
});

describe('delete-job', { timeout: 60_000 }, () => {
  it('deletes a job with nothing running, with its logs; refuses a running one', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    await report(tm, w, a.id, { log: 'rendering' });
    const dir = tm.manager.taskLogs.dir(job);
    expectFailure(await runCli(['delete-job', job, ...dd(tm)]), 4, `job ${job} has running tasks; cancel it and wait until it is canceled before deleting it`);
    ok(await runCli(['cancel-job', job, ...dd(tm)]));
    expectFailure(await runCli(['delete-job', job, ...dd(tm)]), 4, `job ${job} is being canceled; wait until its running tasks have stopped before deleting it`);
    expect(existsSync(dir)).toBe(true);
    complete(tm, w, a.id);
    expect(ok(await runCli(['delete-job', job, ...dd(tm)]))).toBe(`deleted job ${job}\n`);
    expect(tm.manager.repos.jobs.get(job)).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    expectFailure(await runCli(['delete-job', job, ...dd(tm)]), 3, `job ${job} not found`);

    const other = submitCustom(tm, [{ name: 'x' }]);
    expect(await runJson(['delete-job', other, ...dd(tm)])).toEqual({ deleted: other });
  });
});

describe('task-log', { timeout: 60_000 }, () => {
  async function taskWithLog(tm: TestManager) {
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    await report(tm, w, a.id, { log: 'line one\nline two\nline three' });
    await tm.manager.taskLogs.idle();
    return { job, task: a.id, b: tasksByName(tm, job).b!.id, log: readFileSync(tm.manager.taskLogs.file(job, a.id), 'utf8') };
  }

  it('prints the whole log, or the last lines with --tail', async () => {
    const tm = testManager();
    const { task, b, log } = await taskWithLog(tm);
    expect(log).toMatch(/Manager assigned task .*\nline one\nline two\nline three\n$/);
    expect(ok(await runCli(['task-log', task, ...dd(tm)]))).toBe(log);
    expect(ok(await runCli(['task-log', task, '--tail', '2', ...dd(tm)]))).toBe('line two\nline three\n');
    expect(ok(await runCli(['task-log', task, '--tail', '0', ...dd(tm)]))).toBe('');
    expect(ok(await runCli(['task-log', task, '--tail', '50', ...dd(tm)]))).toBe(log);
    // A task that never ran has no log yet, which stderr says.
    const none = await runCli(['task-log', b, ...dd(tm)]);
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toMatch(/^task [0-9a-f]{24} has not run yet \(it is queued\): no log\n$/);
  });

  it('refuses a bad --tail (2) and an unknown task (3)', async () => {
    const tm = testManager();
    const { task } = await taskWithLog(tm);
    expectFailure(await runCli(['task-log', task, '--tail', 'x', ...dd(tm)]), 2, '--tail: must be a whole number from 0 to 100000');
    expectFailure(await runCli(['task-log', task, '--tail=-3', ...dd(tm)]), 2, '--tail: must be a whole number from 0 to 100000');
    expectFailure(await runCli(['task-log', UNKNOWN_ID, ...dd(tm)]), 3, `task ${UNKNOWN_ID} not found`);
    expectFailure(await runCli(['task-log', 'xyz', '--tail', '3', ...dd(tm)]), 3, 'task xyz not found');
  });

  it('--follow keeps printing what is appended until interrupted', async () => {
    const tm = testManager();
    const { job, task } = await taskWithLog(tm);
    ensureBundle();
    const proc = spawn(process.execPath, [BUNDLE, 'task-log', task, '--tail', '1', '--follow', ...dd(tm)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
    onCleanup(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    await waitFor(() => out === 'line three\n', 10_000, `the last line (so far: ${JSON.stringify(out)})`);
    await tm.manager.taskLogs.append(job, task, 'line four');
    await waitFor(() => out.includes('line four\n'), 10_000, 'the appended line');
    await tm.manager.taskLogs.append(job, task, 'line five\nline six');
    await waitFor(() => out.includes('line six\n'), 10_000, 'more appended lines');
    expect(out).toBe('line three\nline four\nline five\nline six\n');
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(err).toBe('');
  });
});

describe('forget-worker', { timeout: 60_000 }, () => {
  it("requeues the worker's task first, then forgets it", async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    expect(ok(await runCli(['forget-worker', w, ...dd(tm)]))).toBe(`forgot worker ${w}; requeued 1 task\n`);
    expect(tm.manager.repos.workers.get(w)).toBeUndefined();
    expect(tasksByName(tm, job).a).toMatchObject({ id: a.id, status: 'queued', worker_id: null });
    expectFailure(await runCli(['forget-worker', w, ...dd(tm)]), 3, `worker ${w} not found`);
    const idle = await addWorker(tm);
    expect(await runJson(['forget-worker', idle, ...dd(tm)])).toEqual({ forgotten: idle, requeued: 0 });
  });
});

describe('blocklist', { timeout: 60_000 }, () => {
  async function blocked(tm: TestManager) {
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c', type: 'debug' }]);
    const w1 = await addWorker(tm, { nickname: 'node-1', types: ['sleep', 'debug'] });
    const w2 = await addWorker(tm, { nickname: 'node-2', types: ['sleep', 'debug'] });
    fail(tm, w1, mustClaim(tm, w1).id);
    fail(tm, w2, mustClaim(tm, w2).id);
    fail(tm, w1, mustClaim(tm, w1).id);
    return { job, w1, w2 };
  }

  it('lists the entries as a table or JSON, all or for one job', async () => {
    const tm = testManager({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
    expect(ok(await runCli(['blocklist', ...dd(tm)]))).toBe('the blocklist is empty\n');
    const { job, w1, w2 } = await blocked(tm);
    const out = ok(await runCli(['blocklist', ...dd(tm)]));
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+TASK TYPE\s+WORKER\s+NICKNAME\s+SINCE$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(/\s+/).slice(0, 4))
        .sort(),
    ).toEqual(
      [
        [job, 'sleep', w1, 'node-1'],
        [job, 'sleep', w2, 'node-2'],
        [job, 'debug', w1, 'node-1'],
      ].sort(),
    );
    expect(await runJson(['blocklist', ...dd(tm)])).toEqual(tm.manager.blocklist.list());
    expect(await runJson(['blocklist', '--job', job, ...dd(tm)])).toHaveLength(3);
    expectFailure(await runCli(['blocklist', '--job', UNKNOWN_ID, ...dd(tm)]), 3, `job ${UNKNOWN_ID} not found`);
  });

  it('clear removes the entries of a job, by worker and task type', async () => {
    const tm = testManager({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
    const { job, w1, w2 } = await blocked(tm);
    expect(ok(await runCli(['blocklist', 'clear', '--job', job, '--worker', w1, '--task-type', 'debug', ...dd(tm)]))).toBe('removed 1 blocklist entry\n');
    expect(await runJson(['blocklist', 'clear', '--job', job, '--worker', w2, ...dd(tm)])).toEqual({ removed: 1 });
    expect(ok(await runCli(['blocklist', 'clear', '--job', job, ...dd(tm)]))).toBe('removed 1 blocklist entry\n');
    expect(ok(await runCli(['blocklist', 'clear', '--job', job, ...dd(tm)]))).toBe('removed 0 blocklist entries\n');
    expect(tm.manager.blocklist.list()).toEqual([]);
    expectFailure(await runCli(['blocklist', 'clear', '--job', UNKNOWN_ID, ...dd(tm)]), 3, `job ${UNKNOWN_ID} not found`);
    expectFailure(await runCli(['blocklist', 'clear', ...dd(tm)]), 2, 'say which job: --job <id>');
    // The options may come in any order, also before "clear".
    const tm2 = testManager({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
    const again = await blocked(tm2);
    expect(await runJson(['blocklist', '--data-dir', tm2.dataDir, 'clear', '--worker', again.w1, '--job', again.job])).toEqual({ removed: 2 });
    expect(tm2.manager.blocklist.list().map((e) => e.worker)).toEqual([again.w2]);
  });
});

describe('sleep-schedule', { timeout: 60_000 }, () => {
  it('sets, shows and removes a schedule, also across midnight', async () => {
    const tm = testManager();
    const w = await addWorker(tm);
    expect(ok(await runCli(['sleep-schedule', w, ...dd(tm)]))).toBe(`worker ${w} has no sleep schedule\n`);
    expect(await runJson(['sleep-schedule', w, ...dd(tm)])).toBeNull();
    expect(ok(await runCli(['sleep-schedule', w, '--days', 'mo tu we th fr', '--start', '22:00', '--end', '6:00', ...dd(tm)]))).toBe(
      `worker ${w} sleeps mo tu we th fr 22:00–06:00\n`,
    );
    expect(tm.manager.sleepSchedules.get(w)).toEqual({ worker_id: w, days: ['mo', 'tu', 'we', 'th', 'fr'], start: '22:00', end: '06:00' });
    expect(ok(await runCli(['sleep-schedule', w, ...dd(tm)]))).toBe(`worker ${w} sleeps mo tu we th fr 22:00–06:00\n`);
    expect(await runJson(['sleep-schedule', w, '--start', '01:00', '--end', '05:30', ...dd(tm)])).toEqual({ worker_id: w, days: [], start: '01:00', end: '05:30' });
    expect(ok(await runCli(['sleep-schedule', w, ...dd(tm)]))).toBe(`worker ${w} sleeps every day 01:00–05:30\n`);
    expect(ok(await runCli(['sleep-schedule', w, '--off', ...dd(tm)]))).toBe(`removed the sleep schedule of worker ${w}\n`);
    expect(tm.manager.sleepSchedules.get(w)).toBeUndefined();
    expect(await runJson(['sleep-schedule', w, '--off', ...dd(tm)])).toEqual({ worker_id: w, schedule: null });
  });

  it('refuses bad values (2) and unknown workers (3), storing nothing', async () => {
    const tm = testManager();
    const w = await addWorker(tm);
    const bad: [string[], string][] = [
      [['--start', '25:00', '--end', '06:00'], 'start: "25:00" is not a time HH:MM (00:00–23:59)'],
      [['--start', '22:00', '--end', 'dawn'], 'end: "dawn" is not a time HH:MM (00:00–23:59)'],
      [['--start', '22:00', '--end', '22:00'], 'start and end must differ'],
      [['--days', 'mo funday', '--start', '22:00', '--end', '06:00'], 'days: "funday" is not a day (use su mo tu we th fr sa)'],
      [['--start', '22:00'], 'give both --start and --end (or --off)'],
      [['--off', '--start', '22:00'], '--off takes no --days, --start or --end'],
    ];
    for (const [args, message] of bad) expectFailure(await runCli(['sleep-schedule', w, ...args, ...dd(tm)]), 2, message);
    expect(tm.manager.sleepSchedules.get(w)).toBeUndefined();
    expectFailure(await runCli(['sleep-schedule', UNKNOWN_ID, '--start', '22:00', '--end', '06:00', ...dd(tm)]), 3, `worker ${UNKNOWN_ID} not found`);
    expectFailure(await runCli(['sleep-schedule', UNKNOWN_ID, ...dd(tm)]), 3, `worker ${UNKNOWN_ID} not found`);
    expectFailure(await runCli(['sleep-schedule', UNKNOWN_ID, '--off', ...dd(tm)]), 3, `worker ${UNKNOWN_ID} not found`);
  });
});

describe('the new commands in the program help', { timeout: 60_000 }, () => {
  it('lists them, each with --data-dir and --json where it prints data', async () => {
    const withJson = ['jobs', 'job', 'cancel-job', 'pause-job', 'resume-job', 'set-priority', 'delete-job', 'forget-worker', 'blocklist', 'sleep-schedule'];
    const help = ok(await runCli(['--help']));
    for (const c of [...withJson, 'task-log']) expect(help).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    const results = await Promise.all([...withJson, 'task-log'].map((c) => runCli([c, '--help'])));
    results.forEach((r, i) => {
      const c = [...withJson, 'task-log'][i]!;
      const out = ok(r);
      expect(out, c).toContain('--data-dir <dir>');
      if (c === 'task-log') {
        expect(out).toContain('--tail <n>');
        expect(out).toContain('--follow');
      } else expect(out, c).toContain('--json');
    });
  });
});
