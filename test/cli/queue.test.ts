// `queue-status` and `requeue` on a data directory without a running serve: output in both
// modes, and every way a requeue request is refused.
import { describe, expect, it } from 'vitest';
import { TASK_STATUSES, WORKER_STATUSES } from '../../src/core/support/statuses';
import { tempDir } from '../helpers/env';
import { farmDir, parseTable, runCli, runJson, STACK_LINE } from '../helpers/cli';

const UNKNOWN_ID = '0123456789abcdef01234567';
const JOB_HEADERS = ['JOB', 'NAME', 'TYPE', 'STATUS', 'PRIO', 'PROGRESS', 'DONE', 'CREATED'];

async function submit(dataDir: string, doc: Record<string, unknown>): Promise<{ id: string; tasks: number }> {
  return runJson(['submit', '-', '--data-dir', dataDir], { input: JSON.stringify(doc) });
}

function sleepJob(name: string, frames: string, extra: Record<string, unknown> = {}) {
  return { name, job_type: 'sleep', settings: { frames }, ...extra };
}

describe('queue-status', { timeout: 30_000 }, () => {
  it('reports an empty farm', async () => {
    const dir = farmDir();
    const human = await runCli(['queue-status', '--data-dir', dir]);
    expect(human).toMatchObject({ code: 0, stderr: '', stdout: 'tasks:   none\nworkers: none\n\nno jobs\n' });
  });

  it('lists every task and worker status in --json, zero or not', async () => {
    const dir = farmDir();
    const q = await runJson(['queue-status', '--data-dir', dir]);
    expect(Object.keys(q).sort()).toEqual(['jobs', 'tasks', 'warnings', 'workers']);
    expect(q.warnings).toEqual([]);
    expect(q.tasks).toEqual(Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])));
    expect(q.workers).toEqual(Object.fromEntries(WORKER_STATUSES.map((s) => [s || 'registered', 0])));
    expect(q.jobs).toEqual([]);
  });

  it('shows jobs with counts per status in --json', async () => {
    const dir = farmDir();
    const a = await submit(dir, sleepJob('first', '1-4', { priority: 70 }));
    const b = await submit(dir, sleepJob('second', '1-2', { start_paused: true }));
    const q = await runJson(['queue-status', '--data-dir', dir]);
    expect(q.tasks).toEqual({ ...Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])), queued: 4, paused: 2 });
    expect(q.jobs).toHaveLength(2);
    const ja = q.jobs.find((j: any) => j.id === a.id);
    expect(Object.keys(ja).sort()).toEqual(['created', 'id', 'job_type', 'name', 'priority', 'status', 'tasks']);
    expect(ja).toMatchObject({ name: 'first', job_type: 'sleep', status: 'queued', priority: 70 });
    expect(ja.tasks).toEqual({ ...Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])), queued: 4 });
    expect(Math.abs(Date.now() - Date.parse(ja.created))).toBeLessThan(10 * 60_000);
    expect(q.jobs.find((j: any) => j.id === b.id)).toMatchObject({ status: 'paused', tasks: expect.objectContaining({ paused: 2, queued: 0 }) });
  });

  it('shows an aligned table with a progress bar per job', async () => {
    const dir = farmDir();
    const a = await submit(dir, sleepJob('a job with a long name', '1-4'));
    const b = await submit(dir, sleepJob('b', '1', { priority: 5 }));
    const r = await runCli(['queue-status', '--data-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const [counts, rest] = r.stdout.split('\n\n');
    expect(counts).toBe(
      `tasks:   5 queued\nworkers: none\nwarning: job a job with a long name (${a.id}): no registered worker runs task type "sleep"\nwarning: job b (${b.id}): no registered worker runs task type "sleep"`,
    );
    const rows = parseTable(rest!, JOB_HEADERS);
    expect(rows).toHaveLength(2);
    const ra = rows.find((x) => x.JOB === a.id)!;
    expect(ra).toMatchObject({ NAME: 'a job with a long name', TYPE: 'sleep', STATUS: 'queued', PRIO: '50', DONE: '0/4' });
    expect(ra.PROGRESS).toMatch(/^\[\.{20}\] +0%$/);
    expect(ra.CREATED).toMatch(/^\d+s ago$/);
    expect(rows.find((x) => x.JOB === b.id)).toMatchObject({ NAME: 'b', PRIO: '5', DONE: '0/1' });
  });

  it('--job shows only that job', async () => {
    const dir = farmDir();
    const a = await submit(dir, sleepJob('a', '1-3'));
    await submit(dir, sleepJob('b', '1-2'));
    const q = await runJson(['queue-status', '--job', a.id, '--data-dir', dir]);
    expect(q.jobs.map((j: any) => j.id)).toEqual([a.id]);
    expect(q.tasks.queued).toBe(3);
    const human = await runCli(['queue-status', '--job', a.id, '--data-dir', dir]);
    expect(human.stdout).toContain('tasks:   3 queued');
    expect(parseTable(human.stdout.split('\n\n')[1]!, JOB_HEADERS).map((x) => x.JOB)).toEqual([a.id]);
  });

  it.each([UNKNOWN_ID, 'nope'])('--job %s that does not exist is refused', async (id) => {
    const dir = farmDir();
    for (const json of [[], ['--json']]) {
      const r = await runCli(['queue-status', '--job', id, '--data-dir', dir, ...json]);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`flamenco-mgr: job ${id} not found\n`);
    }
  });
});

describe('requeue', { timeout: 30_000 }, () => {
  it('requeues a job in human and --json output', async () => {
    const dir = farmDir();
    const job = await submit(dir, sleepJob('j', '1-3'));
    const human = await runCli(['requeue', '--job', job.id, '--data-dir', dir]);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toBe(`requeued 0 tasks (job ${job.id})\n`);
    const json = await runCli(['requeue', '--job', job.id, '--failed-only', '--data-dir', dir, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ requeued: 0 });
    expect((await runJson(['queue-status', '--data-dir', dir])).tasks.queued).toBe(3);
  });

  async function refused(args: string[], code: number, message: string) {
    const dir = farmDir();
    const job = await submit(dir, sleepJob('j', '1-2'));
    const before = await runJson(['queue-status', '--data-dir', dir]);
    for (const json of [[], ['--json']]) {
      const r = await runCli(['requeue', ...args.map((a) => a.replace('$JOB', job.id)), '--data-dir', dir, ...json]);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`flamenco-mgr: ${message.replace('$JOB', job.id)}\n`);
      expect(r.stderr).not.toContain(STACK_LINE);
    }
    expect(await runJson(['queue-status', '--data-dir', dir])).toEqual(before);
  }

  const EXACTLY_ONE = 'say what to requeue: exactly one of --job <id>, --task <id…> or --worker <id>';

  it('without a selector', () => refused([], 2, EXACTLY_ONE));
  it('with --failed-only alone', () => refused(['--failed-only'], 2, EXACTLY_ONE));
  it('with --job and --task', () => refused(['--job', '$JOB', '--task', UNKNOWN_ID], 2, EXACTLY_ONE));
  it('with --job and --worker', () => refused(['--job', '$JOB', '--worker', UNKNOWN_ID], 2, EXACTLY_ONE));
  it('with --failed-only and --task', () => refused(['--failed-only', '--task', UNKNOWN_ID], 2, '--failed-only goes with --job'));
  it('with --failed-only and --worker', () => refused(['--failed-only', '--worker', UNKNOWN_ID], 2, '--failed-only goes with --job'));
  it('an unknown job', () => refused(['--job', UNKNOWN_ID], 3, `job ${UNKNOWN_ID} not found`));
  it('a job id that is not an id', () => refused(['--job', 'my-job'], 3, 'job my-job not found'));
  it('an unknown task', () => refused(['--task', UNKNOWN_ID], 3, `task ${UNKNOWN_ID} not found`));
  it('an unknown worker', () => refused(['--worker', UNKNOWN_ID], 3, `worker ${UNKNOWN_ID} not found`));
  it('a worker id that is not an id', () => refused(['--worker', 'render-01'], 3, 'worker render-01 not found'));

  it('is refused when --task is given no ids', async () => {
    const r = await runCli(['requeue', '--data-dir', tempDir(), '--task']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--task <id...>' argument missing");
  });
});
