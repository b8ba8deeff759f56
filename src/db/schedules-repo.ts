// SQL for worker sleep schedules.
import type { DB } from './open';
import { StatementCache } from './statements';

export interface SleepScheduleRecord {
  worker_id: string;
  days: string;
  start_minute: number;
  end_minute: number;
  updated: number;
}

export class SchedulesRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  set(r: SleepScheduleRecord): void {
    this.s
      .get(
        `INSERT INTO sleep_schedules (worker_id, days, start_minute, end_minute, updated) VALUES (@worker_id, @days, @start_minute, @end_minute, @updated)
         ON CONFLICT (worker_id) DO UPDATE SET days = excluded.days, start_minute = excluded.start_minute, end_minute = excluded.end_minute, updated = excluded.updated`,
      )
      .run(r);
  }

  get(workerId: string): SleepScheduleRecord | undefined {
    return this.s.get('SELECT * FROM sleep_schedules WHERE worker_id = ?').get(workerId) as SleepScheduleRecord | undefined;
  }

  remove(workerId: string): boolean {
    return this.s.get('DELETE FROM sleep_schedules WHERE worker_id = ?').run(workerId).changes > 0;
  }

  all(): SleepScheduleRecord[] {
    return this.s.get('SELECT * FROM sleep_schedules ORDER BY worker_id').all() as SleepScheduleRecord[];
  }
}
