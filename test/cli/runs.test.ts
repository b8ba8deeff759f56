// Earlier runs of a task: task-log --run N / --all-runs with the worker of each run, and the reason
// a run was taken away written as its last line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testManager } from '../helpers/env';
import { addWorker, mustClaim, submitCustom } from '../helpers/domain';
import { runCli, runJson, waitFor } from '../helpers/cli';

describe('task-log runs', { timeout: 30_000 }, () => {
  it('shows each run with its worker and why it was taken away (requeue, forget, worker timeout)', async () => {
    const tm = testManager();
    const m = tm.manager;
    const d = ['--data-dir', tm.dataDir];
    submitCustom(tm, [{ name: 'render-1-10' }]);
    const w1 = await addWorker(tm, { nickname: 'node-1' });
    const t = mustClaim(tm, w1);
    await m.taskLogs.append(t.job_id, t.id, 'run one');
    m.queue.requeueTasks([t.id]);
    const w2 = await addWorker(tm, { nickname: 'node-2' });
    mustClaim(tm, w2);
    await m.taskLogs.append(t.job_id, t.id, 'run two');
    m.workers.forget(w2);
    const w3 = await addWorker(tm, { nickname: 'node-3' });
    mustClaim(tm, w3);
    await m.taskLogs.append(t.job_id, t.id, 'run three');
    tm.clock.advance(tm.config.worker_timeout_ms + 1000);
    expect(m.timeouts.checkWorkers()).toBeGreaterThan(0);
    await m.taskLogs.idle();

    const all = await runCli(['task-log', t.id.slice(0, 22), '--all-runs', ...d]);
    expect(all.code).toBe(0);
    const runs = all.stdout.split(/^--- /m).slice(1);
    expect(runs).toHaveLength(3);
    expect(runs[0]).toMatch(
      new RegExp(`^run 1 of 3, worker node-1 \\(${w1}\\) ---\\n.*assigned.*\\nrun one\\n.*took this run away from worker node-1 \\(${w1}\\): requeued by an admin\\n$`),
    );
    expect(runs[1]).toMatch(new RegExp(`^run 2 of 3, worker node-2 \\(${w2}\\) ---\\n.*\\nrun two\\n.*: worker forgotten\\n$`));
    expect(runs[2]).toMatch(new RegExp(`^run 3 of 3, worker node-3 \\(${w3}\\) ---\\n.*\\nrun three\\n.*: worker timed out\\n$`));

    const second = await runCli(['task-log', t.id, '--run', '2', ...d]);
    expect(second.stdout).toContain('run two\n');
    expect(second.stdout).not.toContain('run one');
    expect(second.stderr).toBe(`run 2 of 3, worker node-2 (${w2})\n`);
    expect((await runCli(['task-log', t.id, ...d])).stdout).toContain('run three\n');
    const json = await runJson(['task-log', t.id, '--all-runs', '--tail', '1', ...d]);
    expect(json.runs.map((r: { run: number; worker: string }) => [r.run, r.worker])).toEqual([
      [1, `node-1 (${w1})`],
      [2, `node-2 (${w2})`],
      [3, `node-3 (${w3})`],
    ]);
    expect(json.runs[1].log).toMatch(/: worker forgotten\n$/);
  });

  it('refuses a run that does not exist and option mixes that make no sense', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const t = mustClaim(tm, w);
    await tm.manager.taskLogs.idle();
    const d = ['--data-dir', tm.dataDir];
    expect(await runCli(['task-log', t.id, '--run', '2', ...d])).toMatchObject({ code: 2, stderr: `flamenco-mgr: task ${t.id} has 1 logged run; there is no run 2\n` });
    for (const bad of [
      ['--run', '0'],
      ['--run', '1', '--all-runs'],
      ['--follow', '--all-runs'],
      ['--follow', '--json'],
    ]) {
      expect((await runCli(['task-log', t.id, ...bad, ...d])).code, bad.join(' ')).toBe(2);
    }
  });

  it("requeue from the CLI writes the reason into the running task's log", async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }], { name: 'shot' });
    const w = await addWorker(tm, { nickname: 'node-9' });
    const t = mustClaim(tm, w);
    await tm.manager.taskLogs.idle();
    expect(await runJson(['requeue', '--job', 'shot', '--data-dir', tm.dataDir])).toEqual({ requeued: 1 });
    const file = tm.manager.taskLogs.file(t.job_id, t.id);
    // The CLI's write may finish on the task-log thread after the command printed its answer.
    await waitFor(() => readFileSync(file, 'utf8').includes('requeued by an admin'), 5000, 'the requeue line');
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`took this run away from worker node-9 \\(${w}\\): requeued by an admin\\n$`));
  });
});
