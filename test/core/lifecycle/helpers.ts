// Helpers for the job lifecycle tests: task statuses by name, whole-database snapshots to prove
// that a refused request changed nothing, and the counters' consistency.
import { expect } from 'vitest';
import type { TestManager } from '../../helpers/env';
import { realCounts, storedCounts, tasksByName, wrongPendingParents } from '../../helpers/domain';

/** The job's task statuses by task name. */
export function statuses(tm: TestManager, jobId: string): Record<string, string> {
  return Object.fromEntries(Object.entries(tasksByName(tm, jobId)).map(([n, t]) => [n, t.status]));
}

export function jobStatus(tm: TestManager, jobId: string): string {
  const j = tm.manager.repos.jobs.get(jobId);
  if (!j) throw new Error(`no job ${jobId}`);
  return j.status;
}

/** Every row of the tables a lifecycle action may touch, for before/after comparisons. */
export function snapshot(tm: TestManager): Record<string, unknown[]> {
  const tables = ['jobs', 'tasks', 'job_task_counts', 'task_failures', 'task_runs', 'blocklist', 'workers', 'sleep_schedules'];
  return Object.fromEntries(
    tables.map((t) => [
      t,
      tm.db
        .prepare(`SELECT * FROM ${t}`)
        .all()
        .map((r) => JSON.stringify(r))
        .sort(),
    ]),
  );
}

/** The stored per-job counters and dependency counters agree with the tasks table. */
export function expectConsistent(tm: TestManager): void {
  expect(storedCounts(tm)).toEqual(realCounts(tm));
  expect(wrongPendingParents(tm)).toEqual([]);
}
