// Bounds on failed secret verifications: per address, per worker id, a gate on the thread pool,
// bounded memory, and an unknown id treated exactly like a wrong secret. Driven by a manual clock.
import { describe, expect, it } from 'vitest';
import {
  FAILURE_WINDOW_MS,
  FAILURES_PER_ADDRESS,
  FAILURES_PER_WORKER,
  Gate,
  LoginLimits,
  MAX_TRACKED,
  VERIFY_CONCURRENCY,
  VERIFY_QUEUE,
  WindowCounter,
} from '../../../src/core/protocol/login-limits';
import { ManualClock } from '../../../src/core/support/clock';
import { testManager } from '../../helpers/env';
import { addWorker, loginAs, WORKER_SECRET, workerRec } from '../../helpers/domain';
import { UNKNOWN_ID } from '../../helpers/protocol';

const ID = 'aaaaaaaaaaaaaaaaaaaaaaaa';

/** A check that counts its runs and answers `ok`. */
function counting(ok: boolean) {
  const c = {
    runs: 0,
    check: async () => {
      c.runs++;
      return ok;
    },
  };
  return c;
}

describe('failed verifications', () => {
  it('from one address are limited; past the limit nothing is hashed until the window ends', async () => {
    const clock = new ManualClock();
    const limits = new LoginLimits(clock);
    const wrong = counting(false);
    for (let i = 0; i < FAILURES_PER_ADDRESS; i++) {
      // Different ids, so that only the address limit applies.
      expect(await limits.verify(`${i}`.padStart(24, 'b'), '10.0.0.9', false, wrong.check)).toBe(false);
    }
    expect(wrong.runs).toBe(FAILURES_PER_ADDRESS);
    const refused = await limits.verify(ID, '10.0.0.9', false, wrong.check);
    expect(refused).toEqual({ refused: 'limited', retryAfterMs: FAILURE_WINDOW_MS });
    expect(wrong.runs).toBe(FAILURES_PER_ADDRESS);
    // Another address is not affected.
    expect(await limits.verify(ID, '10.0.0.10', false, counting(true).check)).toBe(true);
    // The penalty is bounded: one window, however long the guessing goes on.
    clock.advance(FAILURE_WINDOW_MS / 2);
    expect(await limits.verify(ID, '10.0.0.9', false, wrong.check)).toMatchObject({ refused: 'limited' });
    clock.advance(FAILURE_WINDOW_MS / 2);
    const right = counting(true);
    expect(await limits.verify(ID, '10.0.0.9', false, right.check)).toBe(true);
    expect(right.runs).toBe(1);
  });

  it('for one worker id are limited, except from the address that worker last used', async () => {
    const clock = new ManualClock();
    const limits = new LoginLimits(clock);
    const wrong = counting(false);
    for (let i = 0; i < FAILURES_PER_WORKER; i++) expect(await limits.verify(ID, `10.1.0.${i}`, false, wrong.check)).toBe(false);
    expect(await limits.verify(ID, '10.1.0.200', false, wrong.check)).toMatchObject({ refused: 'limited' });
    expect(wrong.runs).toBe(FAILURES_PER_WORKER);
    // The worker itself, from its own address, is still checked.
    expect(await limits.verify(ID, '10.2.0.1', true, counting(true).check)).toBe(true);
    clock.advance(FAILURE_WINDOW_MS);
    expect(await limits.verify(ID, '10.1.0.200', false, counting(true).check)).toBe(true);
  });

  it('successes do not count against an address', async () => {
    const limits = new LoginLimits(new ManualClock());
    const right = counting(true);
    for (let i = 0; i < FAILURES_PER_ADDRESS * 3; i++) expect(await limits.verify(ID, '10.0.0.1', true, right.check)).toBe(true);
  });
});

describe('the verification gate', () => {
  it(`runs at most ${VERIFY_CONCURRENCY} at once, queues ${VERIFY_QUEUE}, refuses the rest at once, and lets a worker's own address go first`, async () => {
    const gate = new Gate();
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const releases: (() => void)[] = [];
    const job = (name: string) => () =>
      new Promise<string>((resolve) => {
        running++;
        most = Math.max(most, running);
        order.push(name);
        releases.push(() => {
          running--;
          resolve(name);
        });
      });
    const started: Promise<string>[] = [];
    for (let i = 0; i < VERIFY_CONCURRENCY + VERIFY_QUEUE; i++) started.push(gate.run(job(`stranger-${i}`), false)!);
    expect(gate.run(job('one too many'), false)).toBeUndefined();
    expect(gate.run(job('own worker'), true)).toBeUndefined();
    // Free one place in the queue: the next one to run is taken in order.
    releases.shift()!();
    await Promise.resolve();
    const own = gate.run(job('own worker'), true)!;
    releases.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(order.slice(0, VERIFY_CONCURRENCY + 2)).toEqual(['stranger-0', 'stranger-1', 'stranger-2', 'own worker']);
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...started, own]);
    expect(most).toBe(VERIFY_CONCURRENCY);
  });
});

describe('memory', () => {
  it(`keeps at most ${MAX_TRACKED} keys, whatever the number of addresses`, () => {
    const clock = new ManualClock();
    const counter = new WindowCounter(clock, 3, FAILURE_WINDOW_MS);
    for (let i = 0; i < MAX_TRACKED * 2; i++) counter.add(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(counter.size).toBeLessThanOrEqual(MAX_TRACKED);
  });

  it('when full, drops ended windows first, then the oldest, and keeps a blocked key counted', () => {
    const clock = new ManualClock();
    const counter = new WindowCounter(clock, 1, 1000, 3);
    counter.add('old');
    clock.advance(600);
    counter.add('blocked');
    counter.add('c');
    clock.advance(500); // 'old' has ended; 'blocked' and 'c' have not
    counter.add('d');
    expect(counter.size).toBe(3);
    expect(counter.blockedFor('blocked')).toBe(500);
    counter.add('e'); // full of live windows: the oldest ('blocked') goes
    expect(counter.size).toBe(3);
    expect(counter.blockedFor('blocked')).toBe(0);
    expect(counter.blockedFor('c')).toBe(500);
  });
});

describe('WorkerService.authenticate', () => {
  it('checks an unknown id against a hash like a wrong secret, and limits both alike', async () => {
    const tm = testManager();
    const m = tm.manager;
    const id = await addWorker(tm);
    const pending = m.workers.authenticate(UNKNOWN_ID, WORKER_SECRET, '10.3.0.1');
    // Not answered before a hash was checked: as slow as a wrong secret.
    expect(m.workers.verificationsUnderWay()).toBe(1);
    expect(await pending).toEqual({ refused: 'unknown' });
    expect(await m.workers.authenticate(id, 'a-wrong-secret-0123456789', '10.3.0.1')).toEqual({ refused: 'unknown' });
    for (let i = 2; i < FAILURES_PER_ADDRESS; i++) await m.workers.authenticate(i % 2 ? UNKNOWN_ID : id, `wrong-${i}-0123456789abc`, '10.3.0.1');
    const limitedUnknown = await m.workers.authenticate(UNKNOWN_ID, WORKER_SECRET, '10.3.0.1');
    const limitedKnown = await m.workers.authenticate(id, 'a-wrong-secret-0123456789', '10.3.0.1');
    expect(limitedUnknown).toEqual(limitedKnown);
    expect(limitedKnown).toMatchObject({ refused: 'limited' });
  });

  it('lets a worker whose secret was verified before through, also from a limited address', async () => {
    const tm = testManager();
    const id = await addWorker(tm);
    const address = workerRec(tm, id).address;
    expect((await loginAs(tm, id, WORKER_SECRET, address))?.id).toBe(id);
    for (let i = 0; i < FAILURES_PER_ADDRESS; i++) await tm.manager.workers.authenticate(UNKNOWN_ID, `wrong-${i}-0123456789abc`, address);
    expect(await tm.manager.workers.authenticate(UNKNOWN_ID, WORKER_SECRET, address)).toMatchObject({ refused: 'limited' });
    expect((await loginAs(tm, id, WORKER_SECRET, address))?.id).toBe(id);
  });
});
