// Impossible requests (resume a completed job, delete an active one, cancel a completed one, pause
// a paused one, …) are a ConflictError with a message naming the job and its status, and change
// nothing. Unknown jobs are a NotFoundError.
import { describe, expect, it } from 'vitest';
import { testManager, type TestManager } from '../../helpers/env';
import { addWorker, complete, fail, mustClaim, submitCustom } from '../../helpers/domain';
import { ConflictError, NotFoundError } from '../../../src/core/support/errors';
import type { JobStatus } from '../../../src/core/support/statuses';
import { jobStatus, snapshot } from './helpers';

/** A manager with one job in the given status; "running" ones have a task on a worker. */
async function jobIn(status: JobStatus): Promise<{ tm: TestManager; job: string }> {
  const tm = testManager({ config: { task_fail_after_softfail_count: 1 } });
  const m = tm.manager;
  const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
  const run = async () => mustClaim(tm, await addWorker(tm));
  switch (status) {
    case 'queued':
      break;
    case 'active':
      await run();
      break;
    case 'pause-requested':
      await run();
      m.jobActions.pause(job);
      break;
    case 'paused':
      m.jobActions.pause(job);
      break;
    case 'cancel-requested':
      await run();
      m.jobActions.cancel(job);
      break;
    case 'canceled':
      m.jobActions.cancel(job);
      break;
    case 'completed': {
      const w = await addWorker(tm);
      complete(tm, w, mustClaim(tm, w).id);
      complete(tm, w, mustClaim(tm, w).id);
      break;
    }
    case 'failed': {
      // With task_fail_after_softfail_count 1 a failure is final: 1 of 2 tasks fails the job
      // while the other one still runs.
      const w1 = await addWorker(tm);
      const a = mustClaim(tm, w1);
      await run();
      fail(tm, w1, a.id);
      break;
    }
  }
  expect(jobStatus(tm, job)).toBe(status);
  return { tm, job };
}

type Action = 'cancel' | 'pause' | 'resume' | 'delete';

const REFUSED: Record<JobStatus, Partial<Record<Action, string>>> = {
  queued: { resume: 'is queued; only a paused or pause-requested job can be resumed' },
  active: {
    resume: 'is active; only a paused or pause-requested job can be resumed',
    delete: 'has running tasks; cancel it and wait until it is canceled before deleting it',
  },
  'pause-requested': {
    pause: 'is pause-requested; only a queued or active job can be paused',
    delete: 'has running tasks; cancel it and wait until it is canceled before deleting it',
  },
  paused: { pause: 'is paused; only a queued or active job can be paused' },
  'cancel-requested': {
    cancel: 'is cancel-requested; only a queued, active, paused or pause-requested job can be canceled',
    pause: 'is cancel-requested; only a queued or active job can be paused',
    resume: 'is cancel-requested; only a paused or pause-requested job can be resumed',
    delete: 'is being canceled; wait until its running tasks have stopped before deleting it',
  },
  canceled: {
    cancel: 'is canceled; only a queued, active, paused or pause-requested job can be canceled',
    pause: 'is canceled; only a queued or active job can be paused',
    resume: 'is canceled; only a paused or pause-requested job can be resumed',
  },
  completed: {
    cancel: 'is completed; only a queued, active, paused or pause-requested job can be canceled',
    pause: 'is completed; only a queued or active job can be paused',
    resume: 'is completed; only a paused or pause-requested job can be resumed',
  },
  failed: {
    cancel: 'is failed; only a queued, active, paused or pause-requested job can be canceled',
    pause: 'is failed; only a queued or active job can be paused',
    resume: 'is failed; only a paused or pause-requested job can be resumed',
    delete: 'has failed; wait until its running tasks have stopped before deleting it',
  },
};

function act(tm: TestManager, action: Action, job: string): unknown {
  return tm.manager.jobActions[action](job);
}

describe('impossible requests', () => {
  for (const [status, refused] of Object.entries(REFUSED) as [JobStatus, Partial<Record<Action, string>>][]) {
    it(`job ${status}: ${Object.keys(refused).join(', ')} refused with a clear message, nothing changed`, async () => {
      const { tm, job } = await jobIn(status);
      const before = snapshot(tm);
      for (const [action, message] of Object.entries(refused) as [Action, string][]) {
        let err: unknown;
        try {
          act(tm, action, job);
        } catch (e) {
          err = e;
        }
        expect(err, `${action} of a ${status} job`).toBeInstanceOf(ConflictError);
        expect((err as Error).message).toBe(`job ${job} ${message}`);
        expect(snapshot(tm), `${action} of a ${status} job`).toEqual(before);
      }
    });
  }

  it('the allowed ones succeed and leave the job in the expected status (one fresh job per request)', async () => {
    // What each allowed action makes of a job; "gone" for a deleted one. Running jobs (active,
    // pause-requested) still have a task on a worker, so they wait in a *-requested status.
    const RESULT: Record<JobStatus, Partial<Record<Action, JobStatus | 'gone'>>> = {
      queued: { cancel: 'canceled', pause: 'paused', delete: 'gone' },
      active: { cancel: 'cancel-requested', pause: 'pause-requested' },
      'pause-requested': { cancel: 'cancel-requested', resume: 'active' },
      paused: { cancel: 'canceled', resume: 'queued', delete: 'gone' },
      'cancel-requested': {},
      canceled: { delete: 'gone' },
      completed: { delete: 'gone' },
      failed: {},
    };
    for (const status of Object.keys(REFUSED) as JobStatus[]) {
      for (const action of ['cancel', 'pause', 'resume', 'delete'] as Action[]) {
        if (REFUSED[status][action]) continue;
        const { tm, job } = await jobIn(status);
        expect(() => act(tm, action, job), `${action} of a ${status} job`).not.toThrow();
        const after = tm.manager.repos.jobs.get(job)?.status ?? 'gone';
        expect(after, `${action} of a ${status} job`).toBe(RESULT[status][action]);
      }
    }
    // Every allowed action has an expected outcome above, and only those.
    for (const status of Object.keys(REFUSED) as JobStatus[]) {
      const allowed = (['cancel', 'pause', 'resume', 'delete'] as Action[]).filter((a) => !REFUSED[status][a]);
      expect(Object.keys(RESULT[status]).sort(), status).toEqual(allowed.sort());
    }
  }, 60_000);

  it('unknown or malformed job ids are NotFoundErrors naming the id', () => {
    const tm = testManager();
    for (const id of ['0123456789abcdef01234567', 'xyz', '../../etc/passwd']) {
      for (const action of ['cancel', 'pause', 'resume', 'delete'] as Action[]) {
        expect(() => act(tm, action, id)).toThrow(NotFoundError);
        expect(() => act(tm, action, id)).toThrow(`job ${id} not found`);
      }
      expect(() => tm.manager.queue.requeueJob(id, false)).toThrow(`job ${id} not found`);
    }
  });
});
