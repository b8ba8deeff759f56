// Sleep schedules, checked with a manual clock. The schedule is in the manager's local time, so
// every expectation is computed with the same local Date getters the product uses.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/support/clock';
import { NotFoundError, ValidationError } from '../../../src/core/support/errors';
import { testManager, type TestManager } from '../../helpers/env';
import { addWorker, claim, mustClaim, submitCustom, workerRec } from '../../helpers/domain';

const DAY_NAMES = ['su', 'mo', 'tu', 'we', 'th', 'fr', 'sa'];
const MINUTE = 60_000;

/** Local midnight of the first day on or after 2026-11-23 that falls on `day` (0 = Sunday). */
function localMidnightOn(day: number): number {
  const d = new Date(2026, 10, 23, 0, 0, 0, 0);
  while (d.getDay() !== day) d.setDate(d.getDate() + 1);
  return d.getTime();
}

/** `ms` moved to the given local time of its day, `addDays` later. */
function at(ms: number, addDays: number, hh: number, mm: number): number {
  const d = new Date(ms);
  d.setDate(d.getDate() + addDays);
  d.setHours(hh, mm, 0, 0);
  return d.getTime();
}

function managerAt(ms: number): TestManager {
  return testManager({ clock: new ManualClock(ms) });
}

/** The worker does what it was asked (as it would after /status-change and /ack-status-change). */
function obey(tm: TestManager, w: string): void {
  const rec = workerRec(tm, w);
  if (rec.status_requested) tm.manager.workers.ack(rec, rec.status_requested);
}

describe('a window crossing midnight (22:00–06:00, every day)', () => {
  it('sends the worker to sleep at 22:00 (lazily) and wakes it at 06:00 (at once)', async () => {
    const fri = localMidnightOn(5);
    const tm = managerAt(at(fri, 0, 21, 59));
    const m = tm.manager;
    const w = await addWorker(tm);
    expect(m.sleepSchedules.set(w, '', '22:00', '6:00')).toEqual({ worker_id: w, days: [], start: '22:00', end: '06:00' });

    expect(m.sleepSchedules.check()).toBe(0);
    expect(workerRec(tm, w).status_requested).toBe('');

    tm.clock.set(at(fri, 0, 22, 0));
    expect(m.sleepSchedules.check()).toBe(1);
    expect(workerRec(tm, w)).toMatchObject({ status: 'awake', status_requested: 'asleep', lazy_status_request: true });
    // Asked once, not again on every check.
    expect(m.sleepSchedules.check()).toBe(0);
    obey(tm, w);
    expect(workerRec(tm, w).status).toBe('asleep');

    for (const [h, mm] of [
      [23, 30],
      [0, 0],
      [3, 0],
      [5, 59],
    ] as const) {
      tm.clock.set(at(fri, h < 12 ? 1 : 0, h, mm));
      expect(m.sleepSchedules.check(), `${h}:${mm}`).toBe(0);
      expect(workerRec(tm, w)).toMatchObject({ status: 'asleep', status_requested: '' });
    }

    tm.clock.set(at(fri, 1, 6, 0));
    expect(m.sleepSchedules.check()).toBe(1);
    expect(workerRec(tm, w)).toMatchObject({ status: 'asleep', status_requested: 'awake', lazy_status_request: false });
    obey(tm, w);
    tm.clock.set(at(fri, 1, 12, 0));
    expect(m.sleepSchedules.check()).toBe(0);
    expect(workerRec(tm, w)).toMatchObject({ status: 'awake', status_requested: '' });
  });

  it('follows the local clock over a whole week, for a window on Fridays only', async () => {
    const tm = managerAt(localMidnightOn(4));
    const m = tm.manager;
    const w = await addWorker(tm);
    m.sleepSchedules.set(w, 'fr', '22:00', '06:00');
    const start = localMidnightOn(4);
    // Thursday 00:00 to the next Thursday, every 30 minutes.
    for (let t = start; t < start + 7 * 24 * 60 * MINUTE; t += 30 * MINUTE) {
      tm.clock.set(t);
      const d = new Date(t);
      const day = DAY_NAMES[d.getDay()];
      const minute = d.getHours() * 60 + d.getMinutes();
      // The Friday window belongs to Friday: Friday from 22:00, and Saturday until 06:00.
      const expected = (day === 'fr' && minute >= 22 * 60) || (day === 'sa' && minute < 6 * 60) ? 'asleep' : 'awake';
      const other = expected === 'asleep' ? 'awake' : 'asleep';
      m.repos.workers.setStatus(w, other);
      m.repos.workers.setStatusRequest(w, '', false);
      expect(m.sleepSchedules.check(), d.toString()).toBe(1);
      expect(workerRec(tm, w).status_requested, d.toString()).toBe(expected);
      m.repos.workers.setStatus(w, expected);
      m.repos.workers.setStatusRequest(w, '', false);
      expect(m.sleepSchedules.check(), d.toString()).toBe(0);
    }
  });

  it('lets the running task finish before the worker sleeps', async () => {
    const fri = localMidnightOn(5);
    const tm = managerAt(at(fri, 0, 21, 0));
    const m = tm.manager;
    submitCustom(tm, [{ name: 'a' }, { name: 'b' }]);
    const w = await addWorker(tm);
    const a = mustClaim(tm, w);
    m.sleepSchedules.set(w, '', '22:00', '06:00');
    tm.clock.set(at(fri, 0, 22, 30));
    expect(m.sleepSchedules.check()).toBe(1);
    expect(m.reports.mayIRun(workerRec(tm, w), a.id)).toEqual({ may_keep_running: true, status_requested: 'asleep' });
    m.reports.update(workerRec(tm, w), a.id, { task_status: 'completed' });
    expect(claim(tm, w)).toEqual({ kind: 'status-change', status: 'asleep' });
  });
});

describe('which workers follow a schedule', () => {
  it('leaves offline, timed-out and error workers alone; a starting worker counts as awake', async () => {
    const fri = localMidnightOn(5);
    const tm = managerAt(at(fri, 0, 23, 0));
    const m = tm.manager;
    const ws: Record<string, string> = {};
    for (const status of ['offline', 'timeout', 'error', 'starting', 'awake', 'asleep'] as const) {
      ws[status] = await addWorker(tm, { stayStarting: true });
      m.repos.workers.setStatus(ws[status]!, status);
      m.sleepSchedules.set(ws[status]!, '', '22:00', '06:00');
    }
    expect(m.sleepSchedules.check()).toBe(2);
    for (const s of ['offline', 'timeout', 'error', 'asleep']) expect(workerRec(tm, ws[s]!).status_requested, s).toBe('');
    for (const s of ['starting', 'awake']) expect(workerRec(tm, ws[s]!).status_requested, s).toBe('asleep');
  });

  it('replaces an earlier request that says otherwise', async () => {
    const fri = localMidnightOn(5);
    const tm = managerAt(at(fri, 0, 23, 0));
    const m = tm.manager;
    const w = await addWorker(tm);
    m.workers.requestStatus(w, 'awake');
    m.sleepSchedules.set(w, '', '22:00', '06:00');
    expect(m.sleepSchedules.check()).toBe(1);
    expect(workerRec(tm, w).status_requested).toBe('asleep');
  });
});

describe('setting and removing schedules', () => {
  it('stores, shows and removes a schedule; forgetting the worker removes it too', async () => {
    const tm = testManager();
    const m = tm.manager;
    const w = await addWorker(tm);
    expect(m.sleepSchedules.get(w)).toBeUndefined();
    expect(m.sleepSchedules.set(w, 'Mo, tu we mo', '9:05', '17:30')).toEqual({ worker_id: w, days: ['mo', 'tu', 'we'], start: '09:05', end: '17:30' });
    expect(m.sleepSchedules.get(w)).toEqual({ worker_id: w, days: ['mo', 'tu', 'we'], start: '09:05', end: '17:30' });
    // Setting again replaces it.
    m.sleepSchedules.set(w, '', '22:00', '06:00');
    expect(m.sleepSchedules.get(w)).toEqual({ worker_id: w, days: [], start: '22:00', end: '06:00' });
    m.sleepSchedules.off(w);
    expect(m.sleepSchedules.get(w)).toBeUndefined();
    m.sleepSchedules.set(w, '', '22:00', '06:00');
    m.workers.forget(w);
    expect(m.sleepSchedules.get(w)).toBeUndefined();
  });

  it('refuses bad values with a message naming the field, storing nothing', async () => {
    const tm = testManager();
    const m = tm.manager;
    const w = await addWorker(tm);
    const cases: [string, string, string, string][] = [
      ['', '24:00', '06:00', 'start: "24:00" is not a time HH:MM (00:00–23:59)'],
      ['', '22:00', '6:60', 'end: "6:60" is not a time HH:MM (00:00–23:59)'],
      ['', 'ten', '06:00', 'start: "ten" is not a time HH:MM (00:00–23:59)'],
      ['', '22:00', '22:00', 'start and end must differ'],
      ['mo xx', '22:00', '06:00', 'days: "xx" is not a day (use su mo tu we th fr sa)'],
    ];
    for (const [days, start, end, message] of cases) {
      expect(() => m.sleepSchedules.set(w, days, start, end)).toThrow(ValidationError);
      expect(() => m.sleepSchedules.set(w, days, start, end)).toThrow(message);
    }
    expect(m.sleepSchedules.get(w)).toBeUndefined();
  });

  it('says which worker is unknown', () => {
    const tm = testManager();
    const id = '0123456789abcdef01234567';
    expect(() => tm.manager.sleepSchedules.set(id, '', '22:00', '06:00')).toThrow(NotFoundError);
    expect(() => tm.manager.sleepSchedules.set(id, '', '22:00', '06:00')).toThrow(`worker ${id} not found`);
    expect(() => tm.manager.sleepSchedules.off('nope')).toThrow('worker nope not found');
  });
});
