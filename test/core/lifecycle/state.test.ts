// The state machine: the transition tables, and the counters it keeps in step with every change
// (per-job task counts, pending parents).
import { describe, expect, it } from 'vitest';
import { ConflictError, DomainError } from '../../../src/core/support/errors';
import { canMoveJob, canMoveTask, type JobAction, jobActionRefusal } from '../../../src/core/lifecycle/state';
import { JOB_STATUSES, TASK_STATUSES } from '../../../src/core/support/statuses';
import { testManager, type TestManager } from '../../helpers/env';
import {
  addWorker,
  CALLER,
  claim,
  complete,
  fail,
  jobRec,
  mustClaim,
  realCounts,
  report,
  storedCounts,
  submitCustom,
  taskRec,
  tasksByName,
  workerRec,
  wrongPendingParents,
} from '../../helpers/domain';

describe('transition tables', () => {
  it('know every status and allow staying put', () => {
    for (const s of TASK_STATUSES) expect(canMoveTask(s, s)).toBe(true);
    for (const s of JOB_STATUSES) expect(canMoveJob(s, s)).toBe(true);
  });

  it('refuse impossible task moves', () => {
    const refused: [(typeof TASK_STATUSES)[number], (typeof TASK_STATUSES)[number]][] = [
      ['queued', 'completed'],
      ['queued', 'failed'],
      ['completed', 'active'],
      ['completed', 'failed'],
      ['failed', 'completed'],
      ['canceled', 'active'],
      ['cancel-requested', 'queued'],
      ['cancel-requested', 'active'],
      ['paused', 'active'],
    ];
    for (const [from, to] of refused) expect(canMoveTask(from, to), `${from} → ${to}`).toBe(false);
    expect(canMoveTask('active', 'completed')).toBe(true);
    expect(canMoveTask('failed', 'queued')).toBe(true);
  });

  it('refuse impossible job moves', () => {
    for (const [from, to] of [
      ['completed', 'active'],
      ['completed', 'paused'],
      ['canceled', 'paused'],
      ['failed', 'active'],
      ['cancel-requested', 'queued'],
    ] as const) {
      expect(canMoveJob(from, to), `${from} → ${to}`).toBe(false);
    }
    expect(canMoveJob('completed', 'queued')).toBe(true);
  });

  it('StateMachine throws ConflictError for an impossible move and changes nothing', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    complete(tm, w, a.id);
    const counts = storedCounts(tm);

    const attempts: [string, () => void][] = [
      ['completed task → active', () => m.state.setTaskStatus(taskRec(tm, a.id), 'active', { workerId: w })],
      ['queued task → completed', () => m.state.setTaskStatus(tasksByName(tm, job).b!, 'completed')],
      ['queued task → failed', () => m.state.setTaskStatus(tasksByName(tm, job).b!, 'failed')],
    ];
    for (const [what, attempt] of attempts) {
      expect(attempt, what).toThrow(ConflictError);
    }
    expect(taskRec(tm, a.id)).toMatchObject({ status: 'completed', worker_id: w });
    expect(tasksByName(tm, job).b!.status).toBe('queued');
    expect(storedCounts(tm)).toEqual(counts);

    // Complete the job, then try to move it somewhere it cannot go.
    complete(tm, w, mustClaim(tm, w).id);
    expect(jobRec(tm, job).status).toBe('completed');
    for (const to of ['active', 'paused', 'failed'] as const) {
      const err = (() => {
        try {
          m.state.setJobStatus(jobRec(tm, job), to);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as Error).message).toContain(`it cannot become ${to}`);
    }
    expect(jobRec(tm, job).status).toBe('completed');
  });

  it('refuses a bulk move the table does not allow', () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    expect(() => tm.manager.state.setJobTasksStatus(job, ['queued'], 'completed')).toThrow(ConflictError);
    expect(tasksByName(tm, job).a!.status).toBe('queued');
  });
});

describe('admin actions on a job', () => {
  // The first status each action moves a job to, running tasks or not (lifecycle/job-actions.ts).
  const FIRST: Record<JobAction, readonly (typeof JOB_STATUSES)[number][]> = {
    cancel: ['cancel-requested', 'canceled'],
    pause: ['pause-requested', 'paused'],
    resume: ['active', 'queued'],
  };

  it.each(Object.keys(FIRST) as JobAction[])('%s is allowed only where the table lets the job move as it does', (action) => {
    const allowed = JOB_STATUSES.filter((s) => jobActionRefusal(action, s) === undefined);
    for (const s of allowed) for (const to of FIRST[action]) expect(canMoveJob(s, to) && s !== to, `${s} → ${to}`).toBe(true);
    expect(allowed.length).toBeGreaterThan(0);
  });

  it('the refusal names the statuses the action is allowed from', () => {
    expect(jobActionRefusal('cancel', 'completed')).toBe('only a queued, active, paused or pause-requested job can be canceled');
    expect(jobActionRefusal('pause', 'paused')).toBe('only a queued or active job can be paused');
    expect(jobActionRefusal('resume', 'queued')).toBe('only a paused or pause-requested job can be resumed');
  });
});

describe('pending_parents', () => {
  it('follows parents completing and being requeued', async () => {
    const tm = testManager();
    const m = tm.manager;
    // a → (b, c) → d
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b', parents: ['a'] }, { name: 'c', parents: ['a'] }, { name: 'd', parents: ['b', 'c'] }]);
    const pending = () => Object.fromEntries(Object.values(tasksByName(tm, job)).map((t) => [t.name, t.pending_parents]));
    expect(pending()).toEqual({ a: 0, b: 1, c: 1, d: 2 });
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    expect(pending()).toEqual({ a: 0, b: 1, c: 1, d: 2 });
    complete(tm, w, a.id);
    expect(pending()).toEqual({ a: 0, b: 0, c: 0, d: 2 });
    const b = mustClaim(tm, w);
    expect(b.name).toBe('b');
    complete(tm, w, b.id);
    expect(pending()).toEqual({ a: 0, b: 0, c: 0, d: 1 });

    // Requeueing a completed parent blocks its children again.
    m.queue.requeueTasks([a.id]);
    expect(pending()).toEqual({ a: 0, b: 1, c: 1, d: 1 });
    expect(mustClaim(tm, w).name).toBe('a');
    // A whole-job requeue recounts everything.
    m.queue.requeueJob(job, false);
    expect(pending()).toEqual({ a: 0, b: 1, c: 1, d: 2 });
    expect(wrongPendingParents(tm)).toEqual([]);
  });
});

/** A small deterministic random generator (LCG), so failures can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

function checkInvariants(tm: TestManager, step: string): void {
  expect(storedCounts(tm), `counts after ${step}`).toEqual(realCounts(tm));
  expect(wrongPendingParents(tm), `pending_parents after ${step}`).toEqual([]);
  const doubles = tm.db.prepare("SELECT worker_id FROM tasks WHERE status = 'active' GROUP BY worker_id HAVING COUNT(*) > 1 OR worker_id IS NULL").all();
  expect(doubles, `one active task per worker after ${step}`).toEqual([]);
  const stuck = tm.db
    .prepare(
      `SELECT t.id, t.status, j.status AS job_status FROM tasks t JOIN jobs j ON j.id = t.job_id
       WHERE t.status IN ('queued', 'soft-failed') AND j.status IN ('paused', 'canceled', 'failed', 'completed')`,
    )
    .all();
  expect(stuck, `no runnable task in a job that is not runnable after ${step}`).toEqual([]);
}

describe('counters after many operations', () => {
  for (const seed of [1, 2, 3]) {
    it(`job_task_counts equals a real count at every step (seed ${seed})`, async () => {
      const tm = testManager({ config: { blocklist_threshold: 2, task_fail_after_softfail_count: 2, job_fail_share: 0.3 } });
      const m = tm.manager;
      const r = rng(seed);
      const types = ['sleep', 'debug'];
      const workers: string[] = [];
      for (let i = 0; i < 4; i++) workers.push(await addWorker(tm, { types: i === 0 ? ['sleep'] : types }));
      const jobs: string[] = [];
      const submit = () => {
        const n = 2 + r.int(5);
        const tasks = Array.from({ length: n }, (_, i) => ({
          name: `t${i}`,
          type: r.pick(types),
          priority: r.int(3),
          parents: i > 0 && r.next() < 0.5 ? [`t${r.int(i)}`] : [],
        }));
        jobs.push(submitCustom(tm, tasks, { priority: r.int(100), start_paused: r.next() < 0.1 }));
      };
      submit();
      submit();

      const tolerate = (fn: () => void) => {
        try {
          fn();
        } catch (err) {
          // Refusals are fine (e.g. requeueing a job being canceled); anything else is not.
          if (!(err instanceof DomainError)) throw err;
        }
      };

      for (let step = 0; step < 250; step++) {
        const w = r.pick(workers);
        const mine = m.repos.tasks.forWorker(w, 'active')[0] ?? m.repos.tasks.forWorker(w, 'cancel-requested')[0];
        let what = '';
        const roll = r.next();
        if (mine && roll < 0.6) {
          const x = r.next();
          what = x < 0.5 ? 'complete' : x < 0.75 ? 'fail' : x < 0.85 ? 'return' : 'progress';
          if (what === 'complete') complete(tm, w, mine.id);
          else if (what === 'fail') fail(tm, w, mine.id);
          else if (what === 'return') m.reports.returnTask(workerRec(tm, w), mine.id);
          else await report(tm, w, mine.id, { task_status: 'active', log: 'working', task_progress_percentage: 50 });
        } else {
          const action = r.int(16);
          if (action <= 7) {
            what = 'claim';
            const c = claim(tm, w);
            // A worker back from a timeout is asked for its old status and acknowledges it.
            if (c.kind === 'status-change') m.workers.ack(workerRec(tm, w), c.status);
          } else if (action === 8) {
            what = 'requeue job';
            tolerate(() => void m.queue.requeueJob(r.pick(jobs), r.next() < 0.5));
          } else if (action === 9) {
            what = 'requeue task';
            const all = m.repos.tasks.listForJob(r.pick(jobs));
            tolerate(() => void m.queue.requeueTasks([r.pick(all).id]));
          } else if (action === 10) {
            what = 'sign off and on';
            m.repos.db.transaction(() => m.workers.signOff(workerRec(tm, w), CALLER)).immediate();
            m.workers.signOn(workerRec(tm, w), {}, CALLER);
          } else if (action === 11) {
            what = 'requeue worker';
            m.queue.requeueWorker(w);
          } else if (action <= 13) {
            what = 'time passes';
            tm.clock.advance(r.pick([5_000, 61_000, 11 * 60_000]));
            // Most workers keep talking; the timeout checks deal with the rest.
            for (const x of workers) if (r.next() < 0.7) m.workers.seen(workerRec(tm, x), CALLER);
            m.timeouts.check();
          } else {
            what = 'submit';
            if (jobs.length < 8) submit();
          }
        }
        checkInvariants(tm, `step ${step} (${what})`);
      }
      // Something happened: jobs reached several different statuses.
      expect(new Set(jobs.map((j) => jobRec(tm, j).status)).size).toBeGreaterThan(1);
    });
  }
});
