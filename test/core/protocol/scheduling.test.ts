// Which task a worker gets from POST /task: the total dispatch order and every eligibility rule.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NEXT_FOR_TYPE_SQL } from '../../../src/db/tasks-repo';
import { customJob, testManager } from '../../helpers/env';
import { addWorker, claim, claimTask, complete, fail, jobRec, mustClaim, submitCustom, taskRec, tasksByName, workerRec } from '../../helpers/domain';

describe('dispatch order', () => {
  it('is job priority desc, task priority desc, job creation asc, task creation asc', async () => {
    const tm = testManager();
    const m = tm.manager;
    // Two task types, so that the order also holds across the per-type candidates.
    m.jobs.submit(
      customJob(
        [
          { name: 'j1-low', type: 'a' },
          { name: 'j1-high', type: 'b', priority: 5 },
        ],
        { name: 'j1', priority: 50 },
      ),
    );
    m.jobs.submit(
      customJob(
        [
          { name: 'j2-first', type: 'b' },
          { name: 'j2-second', type: 'a' },
        ],
        { name: 'j2', priority: 80 },
      ),
    );
    m.jobs.submit(
      customJob(
        [
          { name: 'j3-high', type: 'a', priority: 5 },
          { name: 'j3-low', type: 'b' },
        ],
        { name: 'j3', priority: 50 },
      ),
    );
    m.jobs.submit(customJob([{ name: 'j4-only', type: 'a', priority: 100 }], { name: 'j4', priority: 10 }));
    const w = await addWorker(tm, { types: ['a', 'b'] });

    const order: string[] = [];
    for (let t = claimTask(tm, w); t; t = claimTask(tm, w)) {
      order.push(t.name);
      complete(tm, w, t.id);
    }
    expect(order).toEqual(['j2-first', 'j2-second', 'j1-high', 'j3-high', 'j1-low', 'j3-low', 'j4-only']);
  });

  it('is first come, first served within equal priorities', async () => {
    const tm = testManager();
    const names = Array.from({ length: 6 }, (_, i) => `t${i}`);
    submitCustom(
      tm,
      names.map((name) => ({ name })),
    );
    submitCustom(tm, [{ name: 'later-job' }]);
    const w = await addWorker(tm);
    const order: string[] = [];
    for (let t = claimTask(tm, w); t; t = claimTask(tm, w)) {
      order.push(t.name);
      complete(tm, w, t.id);
    }
    expect(order).toEqual([...names, 'later-job']);
  });

  it('hands out each task to one worker only', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const ws = [await addWorker(tm), await addWorker(tm), await addWorker(tm), await addWorker(tm)];
    const got = ws.map((w) => claimTask(tm, w));
    expect(got.slice(0, 3).map((t) => t?.name)).toEqual(['a', 'b', 'c']);
    expect(got[3]).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const t = taskRec(tm, got[i]!.id);
      expect(t.status).toBe('active');
      expect(t.worker_id).toBe(ws[i]);
      expect(t.last_worker_ping).toBe(tm.clock.now());
      expect(workerRec(tm, ws[i]!).current_task).toBe(t.id);
    }
  });
});

describe('eligibility', () => {
  it('only hands out task types the worker supports', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'render', type: 'blender-render' }]);
    const w = await addWorker(tm, { types: ['sleep', 'debug'] });
    expect(claim(tm, w)).toEqual({ kind: 'none' });
    const r = await addWorker(tm, { types: ['blender-render'] });
    expect(mustClaim(tm, r).name).toBe('render');
  });

  it('answers no-task-types for a worker without task types', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm, { types: [] });
    expect(claim(tm, w)).toEqual({ kind: 'no-task-types' });
  });

  it('waits until every parent is completed', async () => {
    const tm = testManager({ config: { job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 'p1' }, { name: 'p2' }, { name: 'child', parents: ['p1', 'p2'] }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const w3 = await addWorker(tm);
    const p1 = mustClaim(tm, w1);
    const p2 = mustClaim(tm, w2);
    expect(claimTask(tm, w3)).toBeUndefined();
    complete(tm, w1, p1.id);
    // One parent done, the other still active.
    expect(claimTask(tm, w3)).toBeUndefined();
    // A soft-failed parent is not completed either.
    fail(tm, w2, p2.id);
    expect(taskRec(tm, p2.id).status).toBe('soft-failed');
    expect(tasksByName(tm, job).child!.pending_parents).toBe(1);
    expect(mustClaim(tm, w3).name).toBe('p2');
    complete(tm, w3, p2.id);
    expect(mustClaim(tm, w3).name).toBe('child');
  });

  it('skips a task for the workers in its failed_by_workers', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'flaky' }, { name: 'other' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const flaky = mustClaim(tm, w1);
    expect(flaky.name).toBe('flaky');
    fail(tm, w1, flaky.id);
    expect(taskRec(tm, flaky.id).status).toBe('soft-failed');
    // w1 gets the next task, not the one it failed, although that one comes first.
    expect(mustClaim(tm, w1).name).toBe('other');
    expect(mustClaim(tm, w2).name).toBe('flaky');
  });

  it('skips (job, task type) pairs the worker is blocklisted for', async () => {
    const tm = testManager({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
    const job = submitCustom(tm, [{ name: 's1' }, { name: 's2' }, { name: 'd1', type: 'debug' }]);
    const other = submitCustom(tm, [{ name: 'elsewhere' }]);
    const w1 = await addWorker(tm, { types: ['sleep', 'debug'] });
    await addWorker(tm, { types: ['sleep', 'debug'] });
    const s1 = mustClaim(tm, w1);
    fail(tm, w1, s1.id);
    expect(tm.manager.repos.blocklist.list(job)).toEqual([expect.objectContaining({ job_id: job, task_type: 'sleep', worker_id: w1 })]);
    // Same job, other type: still fine. Same type, other job: still fine.
    expect(mustClaim(tm, w1).name).toBe('d1');
    complete(tm, w1, tasksByName(tm, job).d1!.id);
    const t = mustClaim(tm, w1);
    expect(t.name).toBe('elsewhere');
    expect(t.job_id).toBe(other);
    complete(tm, w1, t.id);
    // Only blocklisted work is left.
    expect(claimTask(tm, w1)).toBeUndefined();
    expect(tasksByName(tm, job).s2!.status).toBe('queued');
  });

  it('sends a tagged job only to workers with that tag; untagged jobs go to everyone', async () => {
    const tm = testManager();
    const gpuJob = submitCustom(tm, [{ name: 'gpu-task' }], { tag: 'gpu', priority: 90 });
    submitCustom(tm, [{ name: 'any-task' }], { priority: 10 });
    const untagged = await addWorker(tm);
    const cpu = await addWorker(tm, { tags: ['cpu'] });
    const gpu = await addWorker(tm, { tags: ['cpu', 'gpu'] });
    expect(mustClaim(tm, untagged).name).toBe('any-task');
    expect(claimTask(tm, cpu)).toBeUndefined();
    const t = mustClaim(tm, gpu);
    expect(t.name).toBe('gpu-task');
    expect(t.job_id).toBe(gpuJob);
  });

  it('gives nothing from a paused job (start_paused)', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }], { start_paused: true });
    const w = await addWorker(tm);
    expect(claimTask(tm, w)).toBeUndefined();
    expect(jobRec(tm, job).status).toBe('paused');
  });

  it('gives nothing from a failed job', async () => {
    const tm = testManager({ config: { job_fail_share: 0.5 } });
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    // The only worker fails a: nobody else can run it, so it fails, and so does the job (1 of 2).
    fail(tm, w, mustClaim(tm, w).id);
    expect(jobRec(tm, job).status).toBe('failed');
    expect(tasksByName(tm, job).b!.status).toBe('canceled');
    const w2 = await addWorker(tm);
    expect(claimTask(tm, w2)).toBeUndefined();
  });

  it('gives nothing from a canceled job', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    m.repos.db.transaction(() => {
      m.state.setJobTasksStatus(job, ['queued'], 'canceled');
      m.state.setJobStatus(jobRec(tm, job), 'canceled', 'canceled by an admin');
    })();
    const w = await addWorker(tm);
    expect(claimTask(tm, w)).toBeUndefined();
  });

  it('answers a pending status change before handing out anything', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    tm.manager.workers.requestStatus(w, 'asleep', { lazy: true });
    expect(claim(tm, w)).toEqual({ kind: 'status-change', status: 'asleep' });
    expect(tm.manager.repos.tasks.forWorker(w, 'active')).toEqual([]);
  });
});

describe('a worker with an active task', () => {
  it('gets the same task back, whatever its task types and the blocklist say now', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b', priority: 50 }]);
    const w = await addWorker(tm);
    const first = mustClaim(tm, w);
    expect(first.name).toBe('b');
    tm.clock.advance(5_000);
    // The worker restarts with other task types and finds itself blocklisted for the pair.
    m.workers.signOn(workerRec(tm, w), { supported_task_types: ['debug'] }, { address: 'x', software: 'y' });
    m.repos.blocklist.add(job, 'sleep', w, tm.clock.now());
    const r = claim(tm, w);
    expect(r).toMatchObject({ kind: 'task', fresh: false });
    expect(r.kind === 'task' && r.task.id).toBe(first.id);
    const t = taskRec(tm, first.id);
    expect(t.status).toBe('active');
    expect(t.last_worker_ping).toBe(tm.clock.now());
    expect(tasksByName(tm, job).a!.status).toBe('queued');
  });
});

describe('a worker that asks for a task while one is still active on it', () => {
  // The manager was down when the worker finished: its report is queued on the worker, which asks
  // for its next task before that report gets through.
  it('has finished it: it gets nothing until its late report completes the task', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a', priority: 50 }, { name: 'b' }]);
    const w = await addWorker(tm);
    const other = await addWorker(tm);
    const a = mustClaim(tm, w);
    expect(a.name).toBe('a');
    for (let i = 0; i < 3; i++) {
      tm.clock.advance(5_000);
      expect(claimTask(tm, w)).toBeUndefined();
    }
    expect(taskRec(tm, a.id)).toMatchObject({ status: 'active', worker_id: w });
    // Nobody else gets it either; other work goes on.
    expect(mustClaim(tm, other).name).toBe('b');
    complete(tm, w, a.id);
    expect(taskRec(tm, a.id).status).toBe('completed');
    expect(claimTask(tm, w)).toBeUndefined();
    complete(tm, other, tasksByName(tm, job).b!.id);
    expect(jobRec(tm, job).status).toBe('completed');
  });

  it('that signed on since (it restarted) gets it back once', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a', priority: 50 }, { name: 'b' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    tm.manager.workers.signOn(workerRec(tm, w), {}, { address: 'x', software: 'y' });
    const r = claim(tm, w);
    expect(r).toMatchObject({ kind: 'task', fresh: false });
    expect(r.kind === 'task' && r.task.id).toBe(a.id);
    expect(workerRec(tm, w)).toMatchObject({ current_task: a.id, resume_task: null });
    // The task's log says it starts again, so the two attempts do not read as one.
    await tm.manager.taskLogs.idle();
    const log = readFileSync(tm.manager.taskLogs.file(a.job_id, a.id), 'utf8');
    expect(log).toMatch(/Manager assigned task [0-9a-f]{24} to worker .*\n.*Manager handed task [0-9a-f]{24} back to worker .*, which signed on again while running it\n$/);
    // Asking again without a new sign-on means it is done with it.
    expect(claimTask(tm, w)).toBeUndefined();
    complete(tm, w, a.id);
    expect(mustClaim(tm, w).name).toBe('b');
  });

  it('that signed on after its task was requeued gets a task by the usual rules', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    tm.manager.workers.signOn(workerRec(tm, w), {}, { address: 'x', software: 'y' });
    tm.manager.queue.requeueTasks([a.id]);
    const again = mustClaim(tm, w);
    expect(again.id).toBe(a.id);
    expect(workerRec(tm, w).resume_task).toBeNull();
  });
});

describe('the dispatch query', () => {
  it('searches the tasks_dispatch index instead of scanning tasks', () => {
    const tm = testManager();
    const plan = tm.db.prepare('EXPLAIN QUERY PLAN ' + NEXT_FOR_TYPE_SQL).all({ taskType: 'sleep', workerId: 'w'.repeat(24), workerTags: '' }) as { detail: string }[];
    const details = plan.map((p) => p.detail);
    expect(details.some((d) => /^SEARCH tasks USING INDEX tasks_dispatch \(task_type=\?\)/.test(d))).toBe(true);
    expect(details.filter((d) => /^SCAN tasks\b/.test(d))).toEqual([]);
    // The index already gives dispatch order: no sorting of candidates.
    expect(details.filter((d) => /TEMP B-TREE/.test(d))).toEqual([]);
    // Failure list and blocklist lookups use their primary keys.
    expect(details.filter((d) => /^SCAN (f|b)\b/.test(d))).toEqual([]);
  });
});
