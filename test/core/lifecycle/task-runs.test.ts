// Every run of a task is recorded when it is handed out and when it stops running, whichever
// path stops it (a worker's report, a failure, a requeue, a job action, a timeout), with the
// task's activity at that moment: later reports cannot rewrite a run that ended.
import { describe, expect, it } from 'vitest';
import { testManager } from '../../helpers/env';
import { addWorker, complete, fail, mustClaim, report, submitCustom } from '../../helpers/domain';
import { ALL } from '../../../src/core/listing';
import { allowedJobActions, type JobAction, jobActionRefusal } from '../../../src/core/lifecycle/state';
import { JOB_STATUSES } from '../../../src/core/support/statuses';
import { jobStatus } from './helpers';

describe('task runs', () => {
  it('records who ran a task, when and how each run ended; the reason of a failed run stays', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }]);
    const w1 = await addWorker(tm, { nickname: 'node-1' });
    const w2 = await addWorker(tm, { nickname: 'node-2' });
    const a = mustClaim(tm, w1);
    tm.clock.advance(4_000);
    fail(tm, w1, a.id);
    tm.clock.advance(1_000);
    expect(mustClaim(tm, w2).id).toBe(a.id);
    tm.clock.advance(6_000);
    await report(tm, w2, a.id, { activity: 'rendering frame 1' });
    complete(tm, w2, a.id);
    expect(jobStatus(tm, job)).toBe('completed');

    const runs = m.readModels.taskDetail(a.id).runs;
    expect(runs.map((r) => [r.worker_nickname, r.outcome, r.duration_ms])).toEqual([
      ['node-1', 'soft-failed', 4_000],
      ['node-2', 'completed', 6_000],
    ]);
    expect(runs[0]!.activity).toBe('exit code 1 (failed by 1 worker, will be retried)');
    expect(runs[1]!.activity).toBe('rendering frame 1');
    expect(m.readModels.job(job).first_failure).toMatchObject({
      task: a.id,
      task_name: 'a',
      worker_nickname: 'node-1',
      activity: 'exit code 1 (failed by 1 worker, will be retried)',
    });
  });

  it("ends the runs a job action, a requeue or a worker timeout takes away, and keeps a forgotten worker's name", async () => {
    const tm = testManager({ config: { worker_timeout_ms: 60_000 } });
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const w1 = await addWorker(tm, { nickname: 'node-1' });
    const w2 = await addWorker(tm, { nickname: 'node-2' });
    const a = mustClaim(tm, w1);
    const b = mustClaim(tm, w2);
    m.queue.requeueTasks([a.id]);
    expect(m.readModels.taskDetail(a.id).runs.map((r) => r.outcome)).toEqual(['queued']);
    m.workers.forget(w2);
    expect(m.readModels.taskDetail(b.id).runs).toMatchObject([{ worker_nickname: 'node-2', outcome: 'queued' }]);
    const again = mustClaim(tm, w1);
    m.jobActions.cancel(job);
    // Cancel asks the worker to stop: the run goes on until the worker says it stopped.
    expect(m.readModels.taskDetail(again.id).runs.at(-1)!.outcome).toBeNull();
    await report(tm, w1, again.id, { task_status: 'canceled' });
    expect(m.readModels.taskDetail(again.id).runs.at(-1)!.outcome).toBe('canceled');

    m.queue.requeueJob(job, false);
    // A job-wide requeue takes running tasks back in bulk: their runs end too.
    const running = mustClaim(tm, w1);
    m.queue.requeueJob(job, false);
    expect(m.readModels.taskDetail(running.id).runs.at(-1)!.outcome).toBe('queued');
    const c = mustClaim(tm, w1);
    tm.clock.advance(61_000);
    m.timeouts.checkWorkers();
    expect(m.readModels.taskDetail(c.id).runs.at(-1)).toMatchObject({ worker_nickname: 'node-1', outcome: 'queued', duration_ms: 61_000 });
    m.jobActions.cancel(job);
    m.jobActions.delete(job);
    expect(tm.db.prepare('SELECT count(*) FROM task_runs').pluck().get()).toBe(0);
  });

  it('gives an active job its elapsed time and an estimated end from its completed runs', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }, { name: 'e' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    expect(m.readModels.jobSummary(job)).toMatchObject({ run_started: null, run_ended: null, estimated_end: null });
    const start = tm.clock.now();
    const a = mustClaim(tm, w1);
    tm.clock.advance(10_000);
    complete(tm, w1, a.id);
    const b = mustClaim(tm, w1);
    tm.clock.advance(20_000);
    complete(tm, w1, b.id);
    mustClaim(tm, w1);
    tm.clock.advance(5_000);
    mustClaim(tm, w2);
    // Mean of completed runs 15 s; 1 task waits (15 s); the running ones need 15-5 = 10 s and
    // 15-0 = 15 s more; two workers share it: (15 + 10 + 15) / 2 = 20 s from now.
    const iso = (ms: number) => new Date(ms).toISOString();
    const expected = { status: 'active', run_started: iso(start), run_ended: null, estimated_end: iso(start + 35_000 + 20_000), mean_task_ms: 15_000 };
    expect(m.readModels.jobSummary(job)).toMatchObject(expected);
    expect(m.readModels.jobList(undefined, ALL).jobs[0]).toMatchObject(expected);
    // The same moment, asked later: no running task has run past the mean yet.
    tm.clock.advance(4_000);
    expect(m.readModels.jobSummary(job).estimated_end).toBe(expected.estimated_end);
    // Once nothing runs: from the first run's start to the last one's end.
    m.jobActions.cancel(job);
    for (const w of [w1, w2]) for (const t of m.repos.tasks.forWorker(w, 'cancel-requested')) await report(tm, w, t.id, { task_status: 'canceled' });
    expect(m.readModels.jobSummary(job)).toMatchObject({ status: 'canceled', run_started: iso(start), run_ended: iso(start + 39_000), estimated_end: null });
  });
});

describe('estimated end between tasks', () => {
  it("starts at the last run's end and is shared by the workers on the job lately, the same when asked later", async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const start = tm.clock.now();
    const a = mustClaim(tm, w1);
    const b = mustClaim(tm, w2);
    tm.clock.advance(10_000);
    complete(tm, w1, a.id);
    complete(tm, w2, b.id);
    // Nothing runs (the workers wait a moment between tasks): 2 tasks of 10 s for 2 workers.
    const end = new Date(start + 10_000 + 10_000).toISOString();
    expect(m.readModels.jobSummary(job)).toMatchObject({ status: 'active', estimated_end: end, mean_task_ms: 10_000 });
    tm.clock.advance(3_000);
    expect(m.readModels.jobSummary(job).estimated_end).toBe(end);
  });
});

describe('job actions', () => {
  it('offer the status actions the job transition table allows, and only those', () => {
    const statusActions: JobAction[] = ['cancel', 'pause', 'resume'];
    for (const st of JOB_STATUSES) {
      const offered = allowedJobActions(st, {}).filter((a): a is JobAction => (statusActions as string[]).includes(a));
      expect(offered, st).toEqual(statusActions.filter((a) => jobActionRefusal(a, st) === undefined));
    }
  });

  it('fit the job: no resume or delete on an active job, no delete while tasks run, requeue-failed only with failures', () => {
    const none = {};
    expect(allowedJobActions('active', { active: 2, queued: 3 })).toEqual(['cancel', 'pause', 'requeue']);
    expect(allowedJobActions('queued', none)).toEqual(['cancel', 'pause', 'requeue', 'delete']);
    expect(allowedJobActions('paused', { paused: 1 })).toEqual(['cancel', 'resume', 'requeue', 'delete']);
    expect(allowedJobActions('pause-requested', { active: 1 })).toEqual(['cancel', 'resume', 'requeue']);
    expect(allowedJobActions('failed', { failed: 1, 'cancel-requested': 1 })).toEqual([]);
    expect(allowedJobActions('failed', { failed: 1, canceled: 3 })).toEqual(['requeue', 'requeue-failed', 'delete']);
    expect(allowedJobActions('completed', { completed: 3 })).toEqual(['requeue', 'delete']);
    expect(allowedJobActions('cancel-requested', { 'cancel-requested': 1 })).toEqual([]);
    for (const st of JOB_STATUSES) expect(allowedJobActions(st, { active: 1 })).not.toContain('delete');
  });

  it('refuse what the page would not offer', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    mustClaim(tm, w);
    expect(m.readModels.jobSummary(job).actions).toEqual(['cancel', 'pause', 'requeue']);
    expect(() => m.jobActions.resume(job)).toThrow(/can be resumed/);
    expect(() => m.jobActions.delete(job)).toThrow(/has running tasks/);
  });
});
