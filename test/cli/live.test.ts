// The CLI working on the data directory of a running serve: SQLite is the one source of truth,
// so what the CLI writes is what the next worker request sees, and the other way round.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerWorker, request, tempDir } from '../helpers/env';
import { parseTable, runCli, runCliProcess, runJson, startServe, STACK_LINE } from '../helpers/cli';

const JOB_HEADERS = ['JOB', 'NAME', 'TYPE', 'STATUS', 'PRIO', 'PROGRESS', 'DONE', 'CREATED'];

function sleepJob(name: string, frames: string) {
  return { name, job_type: 'sleep', settings: { frames } };
}

async function submit(dataDir: string, doc: unknown): Promise<string> {
  return (await runJson(['submit', '-', '--data-dir', dataDir], { input: JSON.stringify(doc) })).id;
}

async function serveWithConfig(config: Record<string, unknown>) {
  const dir = tempDir();
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:0', ...config }));
  const s = await startServe(['--data-dir', dir, '--config', file]);
  return { dir, s };
}

describe('the CLI next to a running serve', { timeout: 30_000 }, () => {
  it('a job submitted from the CLI is handed out at the next POST /task', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).status).toBe(204);

    const r = await runCli(['submit', '-', '--data-dir', dir], { input: JSON.stringify(sleepJob('cli job', '1')) });
    expect(r.code).toBe(0);
    const jobId = r.stdout.trim();
    const t = await w.call('POST', '/task');
    expect(t.status).toBe(200);
    expect(t.json).toMatchObject({ job: jobId, name: 'sleep-1', task_type: 'sleep', status: 'active' });

    const workers = await runJson(['list-workers', '--data-dir', dir]);
    expect(workers[0]).toMatchObject({ id: w.id, status: 'awake', current_task: t.json._id });
    const q = await runJson(['queue-status', '--data-dir', dir]);
    expect(q.tasks.active).toBe(1);
    expect(q.workers.awake).toBe(1);
    expect(q.jobs[0]).toMatchObject({ id: jobId, status: 'active' });
  });

  it('requeue --task from the CLI is seen by the next /task', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const a = await registerWorker(s.url, { nickname: 'a' });
    const b = await registerWorker(s.url, { nickname: 'b' });
    await submit(dir, sleepJob('one task', '7'));
    const t = await a.call('POST', '/task');
    expect(t.status).toBe(200);
    expect((await b.call('POST', '/task')).status).toBe(204);

    const r = await runCli(['requeue', '--task', t.json._id, '--data-dir', dir]);
    expect(r).toMatchObject({ code: 0, stdout: 'requeued 1 task (1 task)\n', stderr: '' });

    const again = await b.call('POST', '/task');
    expect(again.status).toBe(200);
    expect(again.json._id).toBe(t.json._id);
    expect(again.json.worker).toBe('b');
    // The worker that had it may no longer report on it.
    expect((await a.call('POST', `/tasks/${t.json._id}/update`, { task_status: 'completed' })).status).toBe(409);
  });

  it("requeue --worker puts the worker's task back for another worker", async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const a = await registerWorker(s.url, { nickname: 'a' });
    const b = await registerWorker(s.url, { nickname: 'b' });
    await submit(dir, sleepJob('one task', '1'));
    const t = await a.call('POST', '/task');
    expect(t.status).toBe(200);

    const r = await runCli(['requeue', '--worker', a.id, '--data-dir', dir]);
    expect(r.stdout).toBe(`requeued 1 task (worker ${a.id})\n`);
    expect((await runJson(['list-workers', '--data-dir', dir])).find((x: any) => x.id === a.id).current_task).toBeNull();
    expect((await b.call('POST', '/task')).json._id).toBe(t.json._id);

    // Nothing left on a: --json says so.
    expect(await runJson(['requeue', '--worker', a.id, '--data-dir', dir])).toEqual({ requeued: 0 });
  });

  it('requeue --task checks every id before changing anything', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url);
    await submit(dir, sleepJob('j', '1'));
    const t = await w.call('POST', '/task');
    const unknown = '0123456789abcdef01234567';
    const r = await runCli(['requeue', '--task', t.json._id, unknown, '--data-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`flamenco-mgr: task ${unknown} not found\n`);
    expect((await runJson(['queue-status', '--data-dir', dir])).tasks.active).toBe(1);
    expect((await w.call('POST', `/tasks/${t.json._id}/update`, { task_status: 'completed' })).status).toBe(204);
  });

  it('queue-status shows progress as workers complete tasks', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url);
    const jobId = await submit(dir, sleepJob('progress', '1-4'));
    for (let i = 0; i < 2; i++) {
      const t = await w.call('POST', '/task');
      expect((await w.call('POST', `/tasks/${t.json._id}/update`, { task_status: 'completed' })).status).toBe(204);
    }
    const r = await runCli(['queue-status', '--data-dir', dir]);
    expect(r.stdout).toMatch(/^tasks: {3}2 queued, 2 completed\nworkers: 1 awake\n\n/);
    const row = parseTable(r.stdout.split('\n\n')[1]!, JOB_HEADERS)[0]!;
    expect(row).toMatchObject({ JOB: jobId, STATUS: 'active', DONE: '2/4' });
    expect(row.PROGRESS).toBe('[##########..........]  50%');

    for (let i = 0; i < 2; i++) {
      const t = await w.call('POST', '/task');
      await w.call('POST', `/tasks/${t.json._id}/update`, { task_status: 'completed' });
    }
    const done = parseTable((await runCli(['queue-status', '--data-dir', dir])).stdout.split('\n\n')[1]!, JOB_HEADERS)[0]!;
    expect(done).toMatchObject({ STATUS: 'completed', DONE: '4/4', PROGRESS: '[####################] 100%' });
  });

  it('requeue --job --failed-only brings back a failed job, and /task hands it out again', async () => {
    const { dir, s } = await serveWithConfig({});
    const w = await registerWorker(s.url);
    const jobId = await submit(dir, sleepJob('fails', '1-3'));
    const t = await w.call('POST', '/task');
    // No other worker can run it, so this fails the task and, at the default share, the job.
    expect((await w.call('POST', `/tasks/${t.json._id}/update`, { task_status: 'failed', activity: 'boom' })).status).toBe(204);
    const failed = (await runJson(['queue-status', '--job', jobId, '--data-dir', dir])).jobs[0];
    expect(failed.status).toBe('failed');
    expect(failed.tasks).toMatchObject({ failed: 1, canceled: 2 });
    expect((await w.call('POST', '/task')).status).toBe(204);

    const r = await runCli(['requeue', '--job', jobId, '--failed-only', '--data-dir', dir]);
    expect(r.stdout).toBe(`requeued 3 tasks (failed tasks of job ${jobId})\n`);
    const back = (await runJson(['queue-status', '--job', jobId, '--data-dir', dir])).jobs[0];
    expect(back).toMatchObject({ status: 'queued', tasks: expect.objectContaining({ queued: 3, failed: 0, canceled: 0 }) });
    expect((await w.call('POST', '/task')).status).toBe(200);
  });

  it('refuses to requeue a task that is being canceled', async () => {
    const { dir, s } = await serveWithConfig({ task_fail_after_softfail_count: 1 });
    const a = await registerWorker(s.url, { nickname: 'a' });
    const b = await registerWorker(s.url, { nickname: 'b' });
    const jobId = await submit(dir, sleepJob('two', '1-2'));
    const ta = await a.call('POST', '/task');
    const tb = await b.call('POST', '/task');
    // b's failure fails the job; a's running task is asked to stop.
    await b.call('POST', `/tasks/${tb.json._id}/update`, { task_status: 'failed' });
    expect((await runJson(['queue-status', '--job', jobId, '--data-dir', dir])).tasks['cancel-requested']).toBe(1);

    const r = await runCli(['requeue', '--task', ta.json._id, '--data-dir', dir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`flamenco-mgr: task ${ta.json._id} is being canceled; it cannot be requeued now\n`);
    expect(r.stderr).not.toContain(STACK_LINE);
  });

  it('serve uses the token that admin-token prints', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const token = (await runCli(['admin-token', '--data-dir', dir])).stdout.trim();
    const path = '/logfile/0123456789abcdef01234567/0123456789abcdef01234567';
    expect((await request(s.url, 'GET', path, { auth: `Bearer ${token}` })).status).toBe(404);
    expect((await request(s.url, 'GET', path, { auth: 'Bearer not-the-token' })).status).toBe(401);
  });

  it('CLI writes do not disturb serve: many commands in a row while a worker polls', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url);
    let polling = true;
    let polls = 0;
    const failed: number[] = [];
    let completed = 0;
    const poller = (async () => {
      while (polling) {
        const r = await w.call('POST', '/task');
        if (r.status !== 200 && r.status !== 204) failed.push(r.status);
        if (r.status === 200) {
          const u = await w.call('POST', `/tasks/${r.json._id}/update`, { task_status: 'completed' });
          if (u.status === 204) completed++;
          else failed.push(u.status);
        }
        polls++;
      }
    })();
    // The commands run as separate processes, as an admin's would, while the worker keeps polling.
    const pollsDuring: number[] = [];
    const ids: string[] = [];
    const cli = async (args: string[], input?: string) => {
      const before = polls;
      const r = await runCliProcess([...args, '--json', '--data-dir', dir], { input });
      expect(r.code, r.stderr).toBe(0);
      pollsDuring.push(polls - before);
      return JSON.parse(r.stdout);
    };
    for (let i = 0; i < 4; i++) ids.push((await cli(['submit', '-'], JSON.stringify(sleepJob(`j${i}`, '1-2')))).id);
    await cli(['queue-status']);
    await cli(['list-workers']);
    polling = false;
    await poller;
    expect(failed).toEqual([]);
    // serve kept answering while each command held the database for its writes and reads.
    expect(
      pollsDuring.every((n) => n > 0),
      `polls during each command: ${pollsDuring}`,
    ).toBe(true);
    expect(completed).toBeGreaterThan(0);
    const q = await runJson(['queue-status', '--data-dir', dir]);
    expect(q.jobs.map((j: any) => j.id).sort()).toEqual([...ids].sort());
    expect(q.tasks.completed).toBe(completed);
    expect(q.tasks.queued + q.tasks.completed).toBe(8);
  });
});
