// The dashboard's farm overview: counts per status, what each busy worker runs, and what is
// stuck: waiting work that no available worker can take (the rule of core/jobs/stuck.ts).
import { FarmStatsRepo } from '../../db/events-repo';
import type { DB } from '../../db/open';
import type { Clock } from '../support/clock';
import type { StuckWork } from '../jobs/stuck';
import { JOB_STATUSES, TASK_STATUSES, WORKER_STATUSES } from '../support/statuses';
import type { Attention, FarmSummary, StuckJob } from '../api-types';
import type { ReadModels } from '../read-models';

export type { Attention, FarmSummary, StuckJob } from '../api-types';

/** Failed jobs the farm page names; the jobs page lists every one. */
export const ATTENTION_FAILED_MAX = 20;

/** Many browsers ask at once after the same event: they share one answer (at most this long). */
const CACHE_MS = 1000;
/**
 * What is stuck is worked out at most this often: it walks every waiting job's task types, which
 * at every change costs a sixth of serve's time with a hundred dashboards open during full
 * dispatch. A job stuck for want of a worker stays so for far longer than this.
 */
export const STUCK_CACHE_MS = 10_000;

function every(statuses: readonly string[], values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(statuses.map((s) => [s, values[s] ?? 0]));
}

export class FarmSummaries {
  private readonly stats: FarmStatsRepo;
  private cached?: { at: number; version: number; value: FarmSummary };
  private stuckCache?: { at: number; value: StuckJob[] };

  constructor(
    db: DB,
    private readonly clock: Clock,
    private readonly stuckWork: StuckWork,
    private readonly readModels: ReadModels,
  ) {
    this.stats = new FarmStatsRepo(db);
  }

  /** `version`: the events feed's position; a cached answer is reused only while nothing changed. */
  summary(version: number): FarmSummary {
    const now = this.clock.now();
    const c = this.cached;
    if (c && c.version === version && now - c.at < CACHE_MS && now >= c.at) return c.value;
    const current_tasks: FarmSummary['current_tasks'] = {};
    for (const c of this.stats.currentTasks()) current_tasks[c.worker] = { task: c.task, task_name: c.task_name, job: c.job, job_name: c.job_name };
    const value: FarmSummary = {
      jobs: every(JOB_STATUSES, this.stats.jobsByStatus()),
      tasks: every(TASK_STATUSES, this.stats.tasksByStatus()),
      workers: every(WORKER_STATUSES, this.stats.workersByStatus()),
      current_tasks,
      stuck: this.stuckNow(now),
      attention: this.attention(),
    };
    this.cached = { at: now, version, value };
    return value;
  }

  private attention(): Attention {
    const failedJobs = this.readModels.jobList('failed', { scope: 'current', limit: ATTENTION_FAILED_MAX });
    const failed = failedJobs.jobs.reverse().map((j) => ({
      job: j.id,
      name: j.name,
      activity: j.activity,
      failed_tasks: j.tasks.failed,
      first_failure: this.readModels.firstFailure(j.id),
    }));
    const running = this.readModels.jobsIn(['active', 'pause-requested', 'cancel-requested']).map((j) => {
      const total = Object.values(j.tasks).reduce((a, b) => a + b, 0);
      return {
        job: j.id,
        name: j.name,
        status: j.status,
        completed: j.tasks.completed,
        total,
        running: j.tasks.active + j.tasks['cancel-requested'],
        run_started: j.run_started,
        estimated_end: j.estimated_end,
        mean_task_ms: j.mean_task_ms,
      };
    });
    return { failed, failed_omitted: failedJobs.omitted, workers: this.readModels.troubledWorkers(), running };
  }

  private stuckNow(now: number): StuckJob[] {
    const s = this.stuckCache;
    if (s && now - s.at < STUCK_CACHE_MS && now >= s.at) return s.value;
    const value = this.stuck();
    this.stuckCache = { at: now, value };
    return value;
  }

  /** Every warning of the stuck-work rule (core/jobs/stuck.ts), one row per job and warning. */
  private stuck(): StuckJob[] {
    return this.stuckWork.forQueue().flatMap((j) => j.warnings.map((reason) => ({ job: j.job, name: j.name, reason })));
  }
}
