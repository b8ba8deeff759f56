// Tasks handed back by their worker (sign-off, worker timeout, task timeout, return) into a job
// that is paused or being canceled follow the job instead of waiting in the queue.
import { describe, expect, it } from 'vitest';
import { testManager, type TestManager } from '../../helpers/env';
import { addWorker, CALLER, claim, fail, mustClaim, submitCustom, taskRec, workerRec } from '../../helpers/domain';
import { expectConsistent, jobStatus, statuses } from './helpers';

const WORKER_TIMEOUT = 60_000;
const TASK_TIMEOUT = 10 * 60_000;

type HandBack = 'sign-off' | 'worker timeout' | 'task timeout' | 'return';

/** The worker gives its task back in one of the ways the protocol knows. */
function handBack(tm: TestManager, how: HandBack, workerId: string, taskId: string, others: string[]): void {
  const m = tm.manager;
  switch (how) {
    case 'sign-off':
      m.workers.signOff(workerRec(tm, workerId), CALLER);
      break;
    case 'return':
      m.reports.returnTask(workerRec(tm, workerId), taskId);
      break;
    case 'worker timeout':
      tm.clock.advance(WORKER_TIMEOUT + 1);
      for (const o of others) m.workers.seen(workerRec(tm, o), CALLER);
      expect(m.timeouts.check().workers).toBe(1);
      break;
    case 'task timeout':
      // The worker keeps talking (so it does not time out itself) but never reports on its task.
      for (let t = 0; t <= TASK_TIMEOUT; t += WORKER_TIMEOUT / 2) {
        tm.clock.advance(WORKER_TIMEOUT / 2);
        for (const w of [workerId, ...others]) m.workers.seen(workerRec(tm, w), CALLER);
        m.timeouts.check();
      }
      break;
  }
}

const WAYS: HandBack[] = ['sign-off', 'worker timeout', 'task timeout', 'return'];

describe('a task handed back into a pause-requested job', () => {
  for (const how of WAYS) {
    it(`is paused (${how}), and the job becomes paused`, async () => {
      const tm = testManager();
      const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
      const w1 = await addWorker(tm);
      const w2 = await addWorker(tm);
      const a = mustClaim(tm, w1);
      tm.manager.jobActions.pause(job);
      expect(jobStatus(tm, job)).toBe('pause-requested');

      handBack(tm, how, w1, a.id, [w2]);
      expect(statuses(tm, job)).toEqual({ a: 'paused', b: 'paused' });
      expect(taskRec(tm, a.id).worker_id).toBeNull();
      expect(jobStatus(tm, job)).toBe('paused');
      expect(claim(tm, w2)).toEqual({ kind: 'none' });
      expectConsistent(tm);

      // Resuming brings it back.
      tm.manager.jobActions.resume(job);
      expect(statuses(tm, job)).toEqual({ a: 'queued', b: 'queued' });
      expect(mustClaim(tm, w2).name).toBe('a');
    });
  }
});

describe('a task handed back into a job being canceled', () => {
  for (const how of WAYS.filter((w) => w !== 'task timeout')) {
    it(`is canceled (${how}), and the job becomes canceled`, async () => {
      const tm = testManager();
      const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
      const w1 = await addWorker(tm);
      const w2 = await addWorker(tm);
      const a = mustClaim(tm, w1);
      tm.manager.jobActions.cancel(job);
      expect(jobStatus(tm, job)).toBe('cancel-requested');

      handBack(tm, how, w1, a.id, [w2]);
      expect(statuses(tm, job)).toEqual({ a: 'canceled', b: 'canceled' });
      expect(jobStatus(tm, job)).toBe('canceled');
      expect(workerRec(tm, w1).current_task).toBeNull();
      expect(claim(tm, w2)).toEqual({ kind: 'none' });
      expectConsistent(tm);
    });
  }

  it("is canceled when a failed job's other task is handed back (sign-off)", async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1 } });
    const job = submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await addWorker(tm);
    const w2 = await addWorker(tm);
    const a = mustClaim(tm, w1);
    mustClaim(tm, w2);
    fail(tm, w1, a.id);
    expect(jobStatus(tm, job)).toBe('failed');
    expect(statuses(tm, job)).toEqual({ a: 'failed', b: 'cancel-requested' });
    tm.manager.workers.signOff(workerRec(tm, w2), CALLER);
    expect(statuses(tm, job)).toEqual({ a: 'failed', b: 'canceled' });
    expect(jobStatus(tm, job)).toBe('failed');
    expectConsistent(tm);
  });
});

describe('a task handed back into a running job', () => {
  for (const how of ['sign-off', 'worker timeout', 'return'] as HandBack[]) {
    it(`is queued again (${how}) and another worker gets it`, async () => {
      const tm = testManager();
      const job = submitCustom(tm, [{ name: 'a' }]);
      const w1 = await addWorker(tm);
      const w2 = await addWorker(tm);
      const a = mustClaim(tm, w1);
      handBack(tm, how, w1, a.id, [w2]);
      expect(statuses(tm, job)).toEqual({ a: 'queued' });
      expect(taskRec(tm, a.id).worker_id).toBeNull();
      expect(mustClaim(tm, w2).id).toBe(a.id);
      expect(jobStatus(tm, job)).toBe('active');
    });
  }
});
