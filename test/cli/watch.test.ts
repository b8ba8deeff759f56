// Live views: --watch, task-log --follow and wait-job. The waits between two looks go through
// liveLoop, which these tests replace with steps that change the farm: no sleeps, no timing.
import { describe, expect, it } from 'vitest';
import { liveLoop } from '../../src/cli/live';
import { onCleanup, testManager } from '../helpers/env';
import { addWorker, complete, fail, mustClaim, submitCustom } from '../helpers/domain';
import { runCli } from '../helpers/cli';

/** Replaces the waits of the next command with these steps, one per wait; after the last, it is stopped. */
function steps(...list: (() => unknown)[]): { waits: () => number } {
  const saved = liveLoop.wait;
  onCleanup(() => {
    liveLoop.wait = saved;
  });
  let n = 0;
  liveLoop.wait = async () => {
    const step = list[n++];
    if (!step) return true;
    await step();
    return false;
  };
  return { waits: () => n };
}

const CLEAR = '\x1b[H\x1b[2J';

describe('--watch', { timeout: 30_000 }, () => {
  it('on a pipe prints a new block only when the data changed', async () => {
    const tm = testManager();
    const d = ['--data-dir', tm.dataDir];
    let job = '';
    const loop = steps(
      () => undefined,
      () => {
        job = submitCustom(tm, [{ name: 'a' }], { name: 'watched' });
      },
      () => undefined,
    );
    const r = await runCli(['jobs', '--watch', '1', '--json', ...d]);
    expect(r.code).toBe(0);
    expect(loop.waits()).toBe(4);
    const blocks = r.stdout.split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(JSON.parse(blocks[0]!)).toEqual([]);
    expect(JSON.parse(blocks[1]!).map((j: { id: string }) => j.id)).toEqual([job]);
  });

  it('on a terminal redraws in place at every look', async () => {
    const tm = testManager();
    const w = await addWorker(tm, { nickname: 'node-1' });
    steps(
      () => undefined,
      () => undefined,
    );
    const r = await runCli(['list-workers', '-w', '--data-dir', tm.dataDir], { tty: { columns: 150 }, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    const frames = r.stdout.split(CLEAR).slice(1);
    expect(frames).toHaveLength(3);
    for (const f of frames) {
      expect(f).toMatch(/^every 2s: flamenco-mgr list-workers {4}\d\d:\d\d:\d\d\n\n/);
      expect(f).toContain(w);
    }
  });

  it('works on job and queue-status, and refuses a bad interval', async () => {
    const tm = testManager();
    const d = ['--data-dir', tm.dataDir];
    const job = submitCustom(tm, [{ name: 'a' }], { name: 'shot' });
    const w = await addWorker(tm);
    steps(() => mustClaim(tm, w));
    const r = await runCli(['job', 'shot', '--watch', ...d]);
    expect(r.stdout.split(`job ${job}: shot`)).toHaveLength(3);
    steps(() => undefined);
    const q = await runCli(['queue-status', '--watch', '0.5', ...d]);
    expect(q.stdout.match(/^tasks: {3}1 active$/gm)).toHaveLength(1);
    expect((await runCli(['jobs', '--watch', 'soon', ...d])).code).toBe(2);
  });
});

describe('task-log --follow', { timeout: 30_000 }, () => {
  it.each([
    ['completed', complete],
    ['failed', fail],
  ] as const)('ends with 0 when the task has %s, saying so', async (status, end) => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1 } });
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const t = mustClaim(tm, w);
    await tm.manager.taskLogs.append(job, t.id, 'line 1');
    steps(
      () => tm.manager.taskLogs.append(job, t.id, 'line 2'),
      () => undefined,
      async () => {
        await tm.manager.taskLogs.append(job, t.id, 'line 3');
        end(tm, w, t.id);
      },
      () => undefined,
      () => {
        throw new Error('still following after the task ended');
      },
    );
    const r = await runCli(['task-log', t.id, '--follow', '--data-dir', tm.dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/assigned task .*\nline 1\nline 2\nline 3\n$/);
    expect(r.stderr).toMatch(new RegExp(`^task ${t.id} ${status}`));
  });

  it('ends at once for a task that has already ended', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const t = mustClaim(tm, w);
    complete(tm, w, t.id);
    // The manager's "assigned" line is on disk (a worker takes longer than this test to finish).
    await tm.manager.taskLogs.idle();
    const loop = steps();
    const r = await runCli(['task-log', t.id, '--follow', '--data-dir', tm.dataDir]);
    expect(r).toMatchObject({ code: 0, stderr: `task ${t.id} completed\n` });
    expect(loop.waits()).toBe(0);
  });
});

describe('wait-job', { timeout: 30_000 }, () => {
  it('exits 0 once the job completed, 6 when it failed, 7 when it was canceled', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1 } });
    const d = ['--data-dir', tm.dataDir];
    const w = await addWorker(tm);
    const ok = submitCustom(tm, [{ name: 'a' }], { name: 'good' });
    steps(
      () => undefined,
      () => complete(tm, w, mustClaim(tm, w).id),
    );
    expect(await runCli(['wait-job', 'good', ...d])).toMatchObject({ code: 0, stdout: `job ${ok} (good) completed: all tasks completed\n` });

    const bad = submitCustom(tm, [{ name: 'a' }], { name: 'bad' });
    steps(() => fail(tm, w, mustClaim(tm, w).id));
    const failed = await runCli(['wait-job', bad, ...d]);
    expect(failed.code).toBe(6);
    expect(failed.stdout).toMatch(new RegExp(`^job ${bad} \\(bad\\) failed`));

    const gone = submitCustom(tm, [{ name: 'a' }], { name: 'gone' });
    steps(() => tm.manager.jobActions.cancel(gone));
    const canceled = await runCli(['wait-job', gone, '--json', ...d]);
    expect(canceled.code).toBe(7);
    expect(JSON.parse(canceled.stdout)).toMatchObject({ id: gone, status: 'canceled' });
  });

  it('exits 130 when interrupted before the job finished, and 3 for an unknown job', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    steps();
    const r = await runCli(['wait-job', job, '--data-dir', tm.dataDir]);
    expect(r).toMatchObject({ code: 130, stdout: '', stderr: `stopped waiting; job ${job} is queued\n` });
    expect((await runCli(['wait-job', 'nothing', '--data-dir', tm.dataDir])).code).toBe(3);
  });
});
