// Failure handling when a worker reports a task failed: soft and hard failure, the blocklist,
// and the job failing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testManager } from '../../helpers/env';
import { addWorker, claimTask, complete, fail, failedBy, jobRec, mustClaim, statusOf, submitCustom, taskRec, tasksByName, workerRec } from '../../helpers/domain';

describe('soft and hard failure', () => {
  it('soft-fails while other workers can retry, and fails at task_fail_after_softfail_count', async () => {
    const tm = testManager({ config: { job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 'flaky' }, { name: 'rest' }]);
    const ws = [await addWorker(tm), await addWorker(tm), await addWorker(tm), await addWorker(tm)];
    const id = tasksByName(tm, job).flaky!.id;

    for (let i = 0; i < 2; i++) {
      expect(mustClaim(tm, ws[i]!).id).toBe(id);
      fail(tm, ws[i]!, id);
      const t = taskRec(tm, id);
      expect(t.status).toBe('soft-failed');
      expect(t.worker_id).toBeNull();
      expect(t.activity).toContain('will be retried');
      expect(workerRec(tm, ws[i]!).current_task).toBeNull();
      // The worker that failed it takes the other task next time, not this one.
    }
    expect(failedBy(tm, id)).toEqual([ws[0], ws[1]]);
    expect(mustClaim(tm, ws[2]!).id).toBe(id);
    fail(tm, ws[2]!, id);
    // Third failure with the default count of 3: failed, although ws[3] could still run it.
    expect(statusOf(tm, id)).toBe('failed');
    expect(taskRec(tm, id).activity).toContain('failed by 3 workers');
    expect(failedBy(tm, id)).toEqual([ws[0], ws[1], ws[2]]);
    expect(claimTask(tm, ws[3]!)?.name).toBe('rest');
  });

  it('honours a configured task_fail_after_softfail_count', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1, job_fail_share: 1 } });
    submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await addWorker(tm);
    await addWorker(tm);
    const t = mustClaim(tm, w1);
    fail(tm, w1, t.id);
    expect(statusOf(tm, t.id)).toBe('failed');
  });

  it('fails at once when no other worker can run it', async () => {
    const tm = testManager({ config: { job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 'render', type: 'blender-render' }, { name: 'other' }]);
    const only = await addWorker(tm, { types: ['blender-render', 'sleep'] });
    // Other workers exist, but none supports blender-render.
    await addWorker(tm, { types: ['sleep'] });
    const t = mustClaim(tm, only);
    expect(t.name).toBe('render');
    fail(tm, only, t.id);
    expect(statusOf(tm, t.id)).toBe('failed');
    expect(taskRec(tm, t.id).activity).toContain('no other worker can run it');
    expect(failedBy(tm, t.id)).toEqual([only]);
    expect(jobRec(tm, job).status).not.toBe('failed');
  });

  it("counts a worker without the job's tag as unable to run it (the job fails instead of waiting forever)", async () => {
    const tm = testManager({ config: { job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 'render' }], { tag: 'gpu' });
    const gpu = await addWorker(tm, { tags: ['gpu'] });
    // Another worker supports the task type but lacks the tag: it never gets the task.
    await addWorker(tm);
    const t = mustClaim(tm, gpu);
    fail(tm, gpu, t.id);
    expect(statusOf(tm, t.id)).toBe('failed');
    expect(taskRec(tm, t.id).activity).toContain('no other worker can run it');
    expect(jobRec(tm, job).status).toBe('failed');
  });

  it('counts a blocklisted worker as unable to run it', async () => {
    const tm = testManager({ config: { job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    tm.manager.repos.blocklist.add(job, 'sleep', w2, tm.clock.now());
    const t = mustClaim(tm, w1);
    fail(tm, w1, t.id);
    expect(statusOf(tm, t.id)).toBe('failed');
  });

  it('ignores a failure report for a task that is no longer active', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const t = mustClaim(tm, w);
    complete(tm, w, t.id);
    fail(tm, w, t.id);
    expect(statusOf(tm, t.id)).toBe('completed');
    expect(failedBy(tm, t.id)).toEqual([]);
  });
});

describe('blocklisting', () => {
  it('blocklists a worker after blocklist_threshold failures of the same (job, task type)', async () => {
    const tm = testManager({ config: { job_fail_share: 1 } });
    const names = ['t1', 't2', 't3', 't4'];
    const job = submitCustom(tm, [...names.map((name) => ({ name })), { name: 'dbg', type: 'debug' }]);
    const other = submitCustom(tm, [{ name: 'other-job' }]);
    const bad = await addWorker(tm, { types: ['sleep', 'debug'] });
    const good = await addWorker(tm, { types: ['sleep', 'debug'] });

    for (let i = 0; i < 3; i++) {
      expect(tm.manager.repos.blocklist.list(job)).toEqual([]);
      const t = mustClaim(tm, bad);
      expect(t.name).toBe(names[i]);
      fail(tm, bad, t.id);
      expect(statusOf(tm, t.id)).toBe('soft-failed');
    }
    expect(tm.manager.repos.blocklist.list()).toEqual([expect.objectContaining({ job_id: job, task_type: 'sleep', worker_id: bad })]);
    // No more sleep tasks of this job for it; other types and other jobs are fine.
    const next = mustClaim(tm, bad);
    expect(next.name).toBe('dbg');
    complete(tm, bad, next.id);
    const elsewhere = mustClaim(tm, bad);
    expect(elsewhere.job_id).toBe(other);
    complete(tm, bad, elsewhere.id);
    expect(claimTask(tm, bad)).toBeUndefined();
    // The good worker picks up the soft-failed ones.
    expect(mustClaim(tm, good).name).toBe('t1');
  });

  it('does not count failures of other jobs or other task types', async () => {
    const tm = testManager({ config: { blocklist_threshold: 2, job_fail_share: 1 } });
    const j1 = submitCustom(tm, [{ name: 'a' }, { name: 'x', type: 'debug' }]);
    const j2 = submitCustom(tm, [{ name: 'b' }]);
    const bad = await addWorker(tm, { types: ['sleep', 'debug'] });
    await addWorker(tm, { types: ['sleep', 'debug'] });
    const failed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = mustClaim(tm, bad);
      failed.push(t.name);
      fail(tm, bad, t.id);
    }
    expect(failed).toEqual(['a', 'x', 'b']);
    // One failure each of (j1, sleep), (j1, debug), (j2, sleep): below the threshold of 2.
    expect(tm.manager.repos.blocklist.list()).toEqual([]);
    expect([j1, j2].map((j) => jobRec(tm, j).status)).not.toContain('failed');
  });
});

describe('job failure', () => {
  it('fails the job when failed tasks reach job_fail_share: queued ones canceled, active ones cancel-requested', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1 } });
    const names = Array.from({ length: 10 }, (_, i) => `t${i}`);
    const job = submitCustom(
      tm,
      names.map((name) => ({ name })),
    );
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const t0 = mustClaim(tm, w1);
    const t1 = mustClaim(tm, w2);
    complete(tm, w2, t1.id);
    const t2 = mustClaim(tm, w2);
    expect(jobRec(tm, job).status).toBe('active');

    fail(tm, w1, t0.id); // 1 of 10 = 10 %
    expect(jobRec(tm, job).status).toBe('failed');
    const tasks = tasksByName(tm, job);
    expect(tasks.t0!.status).toBe('failed');
    expect(tasks.t1!.status).toBe('completed');
    expect(tasks.t2!.status).toBe('cancel-requested');
    for (const n of names.slice(3)) expect(tasks[n]!).toMatchObject({ status: 'canceled', activity: 'Canceled: the job failed (1 of 10 tasks failed)' });
    expect(tm.manager.reports.mayIRun(workerRec(tm, w2), t2.id)).toEqual({
      may_keep_running: false,
      reason: `task ${t2.id} in non-runnable status cancel-requested`,
    });
    // The running task ends canceled whatever the worker reports.
    complete(tm, w2, t2.id);
    expect(statusOf(tm, t2.id)).toBe('canceled');
    expect(jobRec(tm, job).status).toBe('failed');
    expect(claimTask(tm, w1)).toBeUndefined();
  });

  it('keeps the job going while failed tasks stay under the share', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1 } });
    const names = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const job = submitCustom(
      tm,
      names.map((name) => ({ name })),
    );
    const w = await addWorker(tm);
    await addWorker(tm);
    fail(tm, w, mustClaim(tm, w).id);
    expect(jobRec(tm, job).status).toBe('active'); // 1 of 20 = 5 %
    fail(tm, w, mustClaim(tm, w).id);
    expect(jobRec(tm, job).status).toBe('failed'); // 2 of 20 = 10 %
  });

  it('ends a job with one failed task among many "failed" once the others are done, as docs/configuration.md says', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1 } });
    const job = submitCustom(
      tm,
      Array.from({ length: 20 }, (_, i) => ({ name: `t${i}` })),
    );
    const w = await addWorker(tm);
    await addWorker(tm);
    fail(tm, w, mustClaim(tm, w).id);
    for (let i = 0; i < 19; i++) {
      expect(jobRec(tm, job).status).toBe('active'); // 1 of 20 = 5 %: under the share, the rest runs
      complete(tm, w, mustClaim(tm, w).id);
    }
    expect(jobRec(tm, job)).toMatchObject({ status: 'failed', activity: '1 failed task blocks the rest of the job' });
    const reference = readFileSync(path.join(import.meta.dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    const row = reference.split('\n').find((l) => l.startsWith('| `job_fail_share` |'));
    expect(row).toContain('failed tasks block the rest of the job');
    expect(row).toContain('never `completed`');
  });

  it('does not count soft failures towards the share', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await addWorker(tm);
    await addWorker(tm);
    fail(tm, w1, mustClaim(tm, w1).id);
    expect(jobRec(tm, job).status).toBe('active');
  });

  it('fails the job once a failed task blocks its dependents and nothing else can run', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1, job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 'parent' }, { name: 'side' }, { name: 'child', parents: ['parent'] }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const parent = mustClaim(tm, w1);
    const side = mustClaim(tm, w2);
    fail(tm, w1, parent.id);
    expect(statusOf(tm, parent.id)).toBe('failed');
    // side still runs, so the job is not decided yet.
    expect(jobRec(tm, job).status).toBe('active');
    expect(claimTask(tm, w1)).toBeUndefined();
    complete(tm, w2, side.id);
    expect(jobRec(tm, job).status).toBe('failed');
    expect(tasksByName(tm, job).child!.status).toBe('canceled');
  });

  it('waits for runnable tasks before failing on a blocked dependent', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1, job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 'parent' }, { name: 'child', parents: ['parent'] }, { name: 'later' }]);
    const w = await addWorker(tm);
    await addWorker(tm);
    fail(tm, w, mustClaim(tm, w).id);
    // "later" can still run: the job continues.
    expect(jobRec(tm, job).status).not.toBe('failed');
    const later = mustClaim(tm, w);
    expect(later.name).toBe('later');
    complete(tm, w, later.id);
    expect(jobRec(tm, job).status).toBe('failed');
  });
});
