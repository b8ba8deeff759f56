// The timeout checks, driven by a manual clock: silent workers and tasks whose worker stopped
// pinging them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testManager, type TestManager } from '../../helpers/env';
import { addWorker, CALLER, claim, failedBy, mustClaim, submitCustom, taskRec, workerRec } from '../../helpers/domain';
import { SEEN_WRITE_INTERVAL_MS } from '../../../src/core/protocol/workers';
import { ASLEEP_POLL_INTERVAL_MS } from '../../../src/core/lifecycle/timeouts';
import { ASLEEP_MIN_TIMEOUT_MS } from '../../../src/core/lifecycle/timeouts';
import { ManualClock } from '../../../src/core/support/clock';

const WORKER_TIMEOUT = 60_000;
const TASK_TIMEOUT = 10 * 60_000;

/** The worker talks to us without touching its task (e.g. polling /status-change). */
function heardFrom(tm: TestManager, workerId: string): void {
  tm.manager.workers.seen(workerRec(tm, workerId), CALLER);
}

async function workerIn(tm: TestManager, status: string): Promise<string> {
  const m = tm.manager;
  switch (status) {
    case 'starting':
      return addWorker(tm, { stayStarting: true });
    case 'awake':
      return addWorker(tm);
    case 'asleep': {
      const w = await addWorker(tm);
      m.workers.requestStatus(w, 'asleep');
      m.workers.ack(workerRec(tm, w), 'asleep');
      return w;
    }
    case 'testing': {
      const w = await addWorker(tm);
      m.repos.workers.setStatus(w, 'testing');
      return w;
    }
    default:
      throw new Error(status);
  }
}

describe('worker timeout', () => {
  it('a worker polling every 5 s writes its last_seen only now and then, and is never timed out early', async () => {
    const timeout = 10_000; // shorter than the interval between last_seen writes
    const tm = testManager({ config: { worker_timeout_ms: timeout } });
    const w = await addWorker(tm);
    const stored0 = workerRec(tm, w).last_seen;
    for (let t = 5_000; t <= 60_000; t += 5_000) {
      tm.clock.advance(5_000);
      // Checked just before each poll: the last poll was 5 s ago, the last write up to 15 s ago.
      expect(tm.manager.timeouts.check().workers, `at ${t} ms`).toBe(0);
      heardFrom(tm, w);
    }
    expect(workerRec(tm, w).status).toBe('awake');
    // Fewer writes than polls: at most one per SEEN_WRITE_INTERVAL_MS, plus the timeout checker's.
    expect(workerRec(tm, w).last_seen).toBeGreaterThan(stored0);

    // Silent from now on: timed out once worker_timeout has passed since the last poll, not before.
    const lastPoll = tm.clock.now();
    tm.clock.advance(timeout - 1);
    expect(tm.manager.timeouts.check().workers).toBe(0);
    tm.clock.advance(2);
    expect(tm.manager.timeouts.check().workers).toBe(1);
    expect(workerRec(tm, w).status).toBe('timeout');
    expect(workerRec(tm, w).last_seen).toBe(lastPoll);
  });

  it('between writes, a poll changes nothing in the database', async () => {
    const tm = testManager();
    const w = await addWorker(tm);
    const before = workerRec(tm, w);
    tm.clock.advance(SEEN_WRITE_INTERVAL_MS - 1);
    heardFrom(tm, w);
    expect(workerRec(tm, w)).toEqual(before);
    tm.clock.advance(1);
    heardFrom(tm, w);
    expect(workerRec(tm, w).last_seen).toBe(tm.clock.now());
  });

  for (const status of ['awake', 'starting', 'testing', 'asleep']) {
    it(`times out a worker unseen for worker_timeout while ${status}`, async () => {
      const tm = testManager();
      const w = await workerIn(tm, status);
      expect(workerRec(tm, w).status).toBe(status);
      const limit = status === 'asleep' ? ASLEEP_MIN_TIMEOUT_MS : WORKER_TIMEOUT;

      tm.clock.advance(limit - 1);
      expect(tm.manager.timeouts.check()).toEqual({ workers: 0, tasks: 0 });
      expect(workerRec(tm, w).status).toBe(status);

      tm.clock.advance(2);
      expect(tm.manager.timeouts.check().workers).toBe(1);
      const after = workerRec(tm, w);
      expect(after.status).toBe('timeout');
      // Asked to come back asleep or awake: a Flamenco Worker goes to sleep on any requested
      // status it does not know (such as 'starting' or 'testing').
      expect(after.status_requested).toBe(status === 'asleep' ? 'asleep' : 'awake');
      expect(after.lazy_status_request).toBe(false);
      // Checked once: a second pass finds nothing new.
      tm.clock.advance(WORKER_TIMEOUT * 2);
      expect(tm.manager.timeouts.check()).toEqual({ workers: 0, tasks: 0 });
    });
  }

  it('leaves offline, error and never-signed-on workers alone', async () => {
    const tm = testManager();
    const m = tm.manager;
    const offline = await addWorker(tm);
    m.workers.signOff(workerRec(tm, offline), CALLER);
    const error = await addWorker(tm);
    m.repos.workers.setStatus(error, 'error');
    const fresh = (await m.workers.register({ secret: 'never-signed-on-0123456789', platform: 'linux', supported_task_types: ['sleep'], nickname: 'n' }, CALLER)).id;
    tm.clock.advance(WORKER_TIMEOUT * 10);
    expect(m.timeouts.check().workers).toBe(0);
    expect([offline, error, fresh].map((id) => workerRec(tm, id).status)).toEqual(['offline', 'error', '']);
  });

  it('requeues the active task of a timed-out worker; a returning worker resumes its status', async () => {
    const tm = testManager();
    const m = tm.manager;
    submitCustom(tm, [{ name: 'a' }]);
    const w = await addWorker(tm);
    const t = mustClaim(tm, w);
    tm.clock.advance(WORKER_TIMEOUT + 1);
    m.timeouts.check();

    const task = taskRec(tm, t.id);
    expect(task.status).toBe('queued');
    expect(task.worker_id).toBeNull();
    expect(task.activity).toContain('Re-queued task after unassigning from worker');
    expect(failedBy(tm, t.id)).toEqual([]); // a requeue, not a failure
    expect(workerRec(tm, w)).toMatchObject({ status: 'timeout', status_requested: 'awake', current_task: null });

    // It comes back: 423 with its old status, it acks, and it gets work again.
    expect(claim(tm, w)).toEqual({ kind: 'status-change', status: 'awake' });
    m.workers.ack(workerRec(tm, w), 'awake');
    expect(mustClaim(tm, w).id).toBe(t.id);
  });

  it('keeps a worker that is heard from in time', async () => {
    const tm = testManager();
    const w = await addWorker(tm);
    for (let i = 0; i < 10; i++) {
      tm.clock.advance(WORKER_TIMEOUT - 1_000);
      heardFrom(tm, w);
      tm.manager.timeouts.check();
    }
    expect(workerRec(tm, w).status).toBe('awake');
  });
});

describe('task timeout', () => {
  /** Two awake workers; the first runs a task and keeps talking, but never pings the task. */
  async function hungTask(tm: TestManager) {
    submitCustom(tm, [{ name: 'hangs' }]);
    const w1 = await addWorker(tm, { nickname: 'hanger' });
    const w2 = await addWorker(tm);
    const t = mustClaim(tm, w1);
    const step = 30_000;
    for (let elapsed = step; elapsed < TASK_TIMEOUT; elapsed += step) {
      tm.clock.advance(step);
      heardFrom(tm, w1);
      heardFrom(tm, w2);
      expect(tm.manager.timeouts.check()).toEqual({ workers: 0, tasks: 0 });
    }
    return { w1, w2, t };
  }

  it('does nothing before task_timeout has passed since the last ping', async () => {
    const tm = testManager();
    const { w1, t } = await hungTask(tm);
    // TASK_TIMEOUT - 30 s have passed; move to one ms before the deadline.
    tm.clock.advance(30_000 - 1);
    heardFrom(tm, w1);
    expect(tm.manager.timeouts.check().tasks).toBe(0);
    expect(taskRec(tm, t.id).status).toBe('active');
  });

  it('counts a task without a ping for task_timeout as failed by its worker, which times out', async () => {
    const tm = testManager();
    const m = tm.manager;
    const { w1, w2, t } = await hungTask(tm);
    tm.clock.advance(30_000 + 1);
    heardFrom(tm, w1);
    heardFrom(tm, w2);
    expect(m.timeouts.check()).toEqual({ workers: 0, tasks: 1 });

    const task = taskRec(tm, t.id);
    expect(task.status).toBe('soft-failed'); // w2 can still run it
    expect(task.worker_id).toBeNull();
    expect(failedBy(tm, t.id)).toEqual([w1]);
    expect(workerRec(tm, w1)).toMatchObject({ status: 'timeout', current_task: null });
    await m.taskLogs.idle();
    const log = readFileSync(m.taskLogs.file(t.job_id, t.id), 'utf8');
    expect(log).toMatch(/Task timed out: no word from worker hanger \([0-9a-f]{24}\) since /);
    // It is retried elsewhere, not by the worker that timed out on it.
    expect(mustClaim(tm, w2).id).toBe(t.id);
  });

  it('keeps a task whose worker pings it through may-i-run', async () => {
    const tm = testManager();
    const m = tm.manager;
    submitCustom(tm, [{ name: 'long' }]);
    const w = await addWorker(tm);
    const t = mustClaim(tm, w);
    for (let i = 0; i < 40; i++) {
      tm.clock.advance(30_000);
      m.workers.seen(workerRec(tm, w), CALLER, { wake: true });
      expect(m.reports.mayIRun(workerRec(tm, w), t.id).may_keep_running).toBe(true);
      m.timeouts.check();
    }
    expect(taskRec(tm, t.id).status).toBe('active');
    expect(workerRec(tm, w).status).toBe('awake');
  });

  it('treats a worker silent past both deadlines as gone: its task is requeued, not failed', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'a' }]);
    const w1 = await addWorker(tm);
    await addWorker(tm);
    const t = mustClaim(tm, w1);
    // e.g. the manager was down for longer than task_timeout
    tm.clock.advance(TASK_TIMEOUT + 1);
    tm.manager.timeouts.check();
    expect(taskRec(tm, t.id).status).toBe('queued');
    expect(failedBy(tm, t.id)).toEqual([]);
    expect(workerRec(tm, w1)).toMatchObject({ status: 'timeout', status_requested: 'awake' });
  });
});

describe('after a restart of the manager', () => {
  /** The same data directory, opened again by a new manager at the clock's current time. */
  function restart(tm: TestManager, downFor: number): TestManager {
    tm.clock.advance(downFor);
    return testManager({ dataDir: tm.dataDir, clock: tm.clock, config: tm.config });
  }

  it('counts silence from its start: no worker or task times out for the time it was down', async () => {
    const before = testManager({ clock: new ManualClock() });
    submitCustom(before, [{ name: 'a' }]);
    const busy = await addWorker(before);
    const idle = await workerIn(before, 'awake');
    const sleeper = await workerIn(before, 'asleep');
    const task = mustClaim(before, busy);
    before.clock.advance(9 * 60_000); // the task's last ping is 9 minutes old
    before.db.close();

    const tm = restart(before, 45_000);
    expect(tm.manager.timeouts.check()).toEqual({ workers: 0, tasks: 0 });
    tm.clock.advance(WORKER_TIMEOUT - 1);
    expect(tm.manager.timeouts.check()).toEqual({ workers: 0, tasks: 0 });
    for (const w of [busy, idle, sleeper]) expect(workerRec(tm, w).status).not.toBe('timeout');
    expect(taskRec(tm, task.id).status).toBe('active');

    // Those that stay silent after the restart time out as usual.
    tm.clock.advance(2);
    expect(tm.manager.timeouts.check().workers).toBe(2);
    tm.clock.advance(ASLEEP_MIN_TIMEOUT_MS);
    expect(tm.manager.timeouts.check().workers).toBe(1);
  });
});

describe('a timeout and a pending status request', () => {
  it('keeps the request an admin made: a timed-out worker still gets it', async () => {
    const tm = testManager();
    const w = await workerIn(tm, 'asleep');
    tm.manager.workers.requestStatus(w, 'awake', { lazy: true });
    tm.clock.advance(ASLEEP_MIN_TIMEOUT_MS + 1);
    expect(tm.manager.timeouts.check().workers).toBe(1);
    expect(workerRec(tm, w)).toMatchObject({ status: 'timeout', status_requested: 'awake', lazy_status_request: true });
    // It comes back and is told to wake up.
    expect(claim(tm, w)).toEqual({ kind: 'status-change', status: 'awake' });
  });

  it('judges an asleep worker by its 30 s polls even when worker_timeout is shorter', async () => {
    const tm = testManager({ config: { worker_timeout_ms: 20_000 } });
    const w = await workerIn(tm, 'asleep');
    tm.manager.workers.requestStatus(w, 'awake');
    for (let i = 0; i < 10; i++) {
      tm.clock.advance(ASLEEP_POLL_INTERVAL_MS + 3_000);
      expect(tm.manager.timeouts.check().workers, `poll ${i}`).toBe(0);
      heardFrom(tm, w);
    }
    expect(workerRec(tm, w)).toMatchObject({ status: 'asleep', status_requested: 'awake' });
  });
});
