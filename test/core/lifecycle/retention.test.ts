// Retention: finished jobs older than an age go, with their tasks and logs; the answer says what
// was freed. prune-jobs on the command line and over /api/, and serve's automatic job_retention.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUTO_PRUNE_EVERY_MS } from '../../../src/core/lifecycle/retention';
import { configFromJson } from '../../../src/core/support/config';
import { testManager, testServer } from '../../helpers/env';
import { addWorker, complete, fail, mustClaim, submitCustom } from '../../helpers/domain';
import { runCli, runJson } from '../../helpers/cli';
import { api, expectJson } from '../../api/helpers';

const DAY = 86_400_000;

async function farm() {
  const tm = testManager({ config: { task_fail_after_softfail_count: 1, job_fail_share: 0 } });
  const w = await addWorker(tm);
  const done = submitCustom(tm, [{ name: 'a' }, { name: 'b' }], { name: 'done' });
  for (let i = 0; i < 2; i++) {
    const t = mustClaim(tm, w);
    await tm.manager.taskLogs.append(done, t.id, 'x'.repeat(1000));
    complete(tm, w, t.id);
  }
  const broken = submitCustom(tm, [{ name: 'a' }], { name: 'broken' });
  fail(tm, w, mustClaim(tm, w).id);
  const waiting = submitCustom(tm, [{ name: 'a' }], { name: 'waiting' });
  await tm.manager.taskLogs.idle();
  return { tm, done, broken, waiting };
}

describe('Retention.prune', () => {
  it('deletes finished jobs older than the age with their tasks and logs, and says what it freed', async () => {
    const { tm, done, broken, waiting } = await farm();
    tm.clock.advance(31 * DAY);
    const fresh = submitCustom(tm, [{ name: 'a' }], { name: 'fresh' });
    tm.manager.jobActions.cancel(fresh);
    const r = tm.manager.retention.prune(30 * DAY);
    expect(r.pruned).toEqual([
      { id: done, name: 'done', status: 'completed', tasks: 2 },
      { id: broken, name: 'broken', status: 'failed', tasks: 1 },
    ]);
    expect(r).toMatchObject({ jobs: 2, tasks: 3 });
    expect(r.log_bytes).toBeGreaterThan(2000);
    expect(existsSync(tm.manager.taskLogs.dir(done))).toBe(false);
    expect(tm.manager.readModels.jobs().map((j) => j.id)).toEqual([waiting, fresh]);
  });

  it('keeps the statuses not asked for', async () => {
    const { tm, broken } = await farm();
    tm.clock.advance(31 * DAY);
    expect(tm.manager.retention.prune(30 * DAY, ['failed']).pruned.map((j) => j.id)).toEqual([broken]);
  });

  it('runs by job_retention at most once an hour', async () => {
    const { tm, done } = await farm();
    expect(tm.manager.retention.auto(null)).toBeUndefined();
    expect(tm.manager.retention.auto(30 * DAY)?.jobs).toBe(0);
    tm.clock.advance(31 * DAY);
    submitCustom(tm, [{ name: 'a' }]);
    const first = tm.manager.retention.auto(30 * DAY);
    expect(first?.pruned.map((j) => j.id)).toContain(done);
    expect(tm.manager.retention.auto(30 * DAY)).toBeUndefined();
    tm.clock.advance(AUTO_PRUNE_EVERY_MS);
    expect(tm.manager.retention.auto(30 * DAY)).toEqual({ pruned: [], jobs: 0, tasks: 0, log_bytes: 0 });
  });

  it('reads job_retention from the config file', () => {
    expect(configFromJson({ job_retention: '90d' }).job_retention_ms).toBe(90 * DAY);
    expect(configFromJson({}).job_retention_ms).toBeNull();
    expect(() => configFromJson({ job_retention: 'soon' })).toThrow(/job_retention/);
  });
});

describe('prune-jobs', { timeout: 30_000 }, () => {
  it('prunes from the command line and reports what it freed', async () => {
    const { tm, done, broken } = await farm();
    // The CLI runs on the real clock: date the finished jobs against it.
    tm.db.prepare("UPDATE jobs SET updated = ? WHERE status IN ('completed', 'failed')").run(Date.now() - 31 * DAY);
    const d = ['--data-dir', tm.dataDir];
    const r = await runCli(['prune-jobs', '--older-than', '30d', '--status', 'completed', ...d]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^deleted job ${done} \\(done\\), completed, 2 tasks\\npruned 1 job: 2 tasks, \\d\\.\\d KiB of task logs\\n$`));
    const j = await runJson(['prune-jobs', '--older-than', '30d', ...d]);
    expect(j).toMatchObject({ jobs: 1, tasks: 1, pruned: [{ id: broken }] });
    expect((await runCli(['prune-jobs', '--older-than', '30d', ...d])).stdout).toBe('nothing to prune\n');
  });

  it.each([
    [['--older-than', 'soon'], '--older-than: "soon" is not a duration'],
    [['--older-than', '30d', '--status', 'queued'], 'status: "queued" is not a finished job status'],
    [[], "required option '--older-than <duration>' not specified"],
  ])('refuses %j', async (args, message) => {
    const { tm } = await farm();
    const r = await runCli(['prune-jobs', ...args, '--data-dir', tm.dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('POST /api/prune-jobs answers the same', async () => {
    const s = await testServer();
    const job = submitCustom(s, [{ name: 'a' }]);
    s.manager.jobActions.cancel(job);
    s.clock.advance(2 * DAY);
    expect(expectJson(await api(s, 'POST', '/api/prune-jobs', { body: { older_than: '1d', status: ['canceled'] } }))).toEqual({
      pruned: [{ id: job, name: 'test job', status: 'canceled', tasks: 1 }],
      jobs: 1,
      tasks: 1,
      log_bytes: 0,
    });
    expect((await api(s, 'POST', '/api/prune-jobs', { body: { older_than: 'x' } })).status).toBe(400);
    expect((await api(s, 'POST', '/api/prune-jobs', { body: {} })).status).toBe(400);
  });
});
