// Sleep schedules: a worker sleeps on the listed days between start and end (local time of the
// manager), and is woken outside that window. A window may cross midnight (22:00–06:00): it then
// belongs to the day it starts on.
import type { SleepScheduleRecord } from '../../db/schedules-repo';
import type { Clock } from '../support/clock';
import { NotFoundError, ValidationError } from '../support/errors';
import { isId } from '../support/ids';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import type { ScheduleView } from '../api-types';

export type { ScheduleView } from '../api-types';
import type { WorkerControl } from './needs';

export const DAYS = ['su', 'mo', 'tu', 'we', 'th', 'fr', 'sa'] as const;

function parseTime(v: string, field: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(v.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new ValidationError(`${field}: "${v}" is not a time HH:MM (00:00–23:59)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export function parseDays(v: string): string[] {
  const days = v
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  for (const d of days) if (!(DAYS as readonly string[]).includes(d)) throw new ValidationError(`days: "${d}" is not a day (use ${DAYS.join(' ')})`);
  return [...new Set(days)];
}

/** Whether the schedule says "asleep" at this moment (local time). */
export function sleepsAt(s: Pick<SleepScheduleRecord, 'days' | 'start_minute' | 'end_minute'>, ms: number): boolean {
  const d = new Date(ms);
  const minute = d.getHours() * 60 + d.getMinutes();
  const days = s.days.split(' ').filter(Boolean);
  const on = (dayIndex: number) => days.length === 0 || days.includes(DAYS[(dayIndex + 7) % 7]!);
  if (s.start_minute < s.end_minute) return on(d.getDay()) && minute >= s.start_minute && minute < s.end_minute;
  return (on(d.getDay()) && minute >= s.start_minute) || (on(d.getDay() - 1) && minute < s.end_minute);
}

export function scheduleView(s: SleepScheduleRecord): ScheduleView {
  return { worker_id: s.worker_id, days: s.days.split(' ').filter(Boolean), start: hhmm(s.start_minute), end: hhmm(s.end_minute) };
}

/** Statuses in which a worker follows its schedule; others (offline, timeout, error) are left alone. */
const FOLLOWS = ['awake', 'asleep', 'starting'];

export class SleepScheduler {
  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly workers: WorkerControl,
    private readonly log: Logger,
  ) {}

  set(workerId: string, days: string, start: string, end: string): ScheduleView {
    const rec: SleepScheduleRecord = {
      worker_id: workerId,
      days: parseDays(days).join(' '),
      start_minute: parseTime(start, 'start'),
      end_minute: parseTime(end, 'end'),
      updated: this.clock.now(),
    };
    if (rec.start_minute === rec.end_minute) throw new ValidationError('start and end must differ');
    if (!isId(workerId) || !this.repos.workers.get(workerId)) throw new NotFoundError(`worker ${workerId} not found`);
    this.repos.schedules.set(rec);
    this.log.info('sleep schedule set', { worker: workerId, days: rec.days || 'every day', start, end });
    return scheduleView(rec);
  }

  off(workerId: string): void {
    if (!isId(workerId) || !this.repos.workers.get(workerId)) throw new NotFoundError(`worker ${workerId} not found`);
    this.repos.schedules.remove(workerId);
  }

  /** Every worker's schedule (the dashboard's workers page shows them in one request). */
  list(): ScheduleView[] {
    return this.repos.schedules.all().map(scheduleView);
  }

  get(workerId: string): ScheduleView | undefined {
    const s = this.repos.schedules.get(workerId);
    return s && scheduleView(s);
  }

  /** Asks workers to sleep or wake as their schedules say; returns how many requests were made. */
  check(): number {
    const now = this.clock.now();
    let n = 0;
    for (const s of this.repos.schedules.all()) {
      const w = this.repos.workers.get(s.worker_id);
      // An admin's shutdown or restart request wins over the schedule.
      if (!w || !FOLLOWS.includes(w.status) || w.status_requested === 'shutdown' || w.status_requested === 'restart') continue;
      const want = sleepsAt(s, now) ? 'asleep' : 'awake';
      const current = w.status === 'starting' ? 'awake' : w.status;
      if (current === want || w.status_requested === want) continue;
      // Going to sleep lets the running task finish; waking up has nothing to wait for.
      this.workers.requestStatus(w.id, want, { lazy: want === 'asleep' });
      n++;
    }
    return n;
  }
}
