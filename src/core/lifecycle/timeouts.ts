// The background timeout checks: silent workers and tasks whose worker stopped pinging.
import type { Clock } from '../support/clock';
import type { FailureHandler } from './failures';
import { isoTime } from '../support/clock';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { identifier } from '../names';
import { LIVE_WORKER_STATUSES } from '../support/statuses';
import type { TaskLogFiles, WorkerControl } from './needs';
import type { WorkerStatus } from '../support/statuses';

/** How often an asleep Flamenco Worker polls /status-change (fixed in the worker). */
export const ASLEEP_POLL_INTERVAL_MS = 30_000;

/**
 * An asleep Flamenco Worker asks for news every 30 s (its fixed interval), so it is judged by that
 * interval: it times out only after missing two of its polls, whatever a shorter worker_timeout
 * says for workers that poll every 5 s.
 */
export const ASLEEP_MIN_TIMEOUT_MS = 2 * ASLEEP_POLL_INTERVAL_MS + 10_000;

export interface TimeoutSettings {
  worker_timeout_ms: number;
  task_timeout_ms: number;
}

export class TimeoutChecker {
  /**
   * Silence is counted from this process's start at the earliest: while the manager was down,
   * nobody could reach it, and last_seen in the database is older still (written at most every
   * 15 s). Without this floor, a restart after an outage timed out every worker at once.
   */
  private readonly startedAt: number;

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly workers: WorkerControl,
    private readonly failures: FailureHandler,
    private readonly taskLogs: TaskLogFiles,
    private readonly settings: () => TimeoutSettings,
    private readonly log: Logger,
  ) {
    this.startedAt = clock.now();
  }

  /**
   * One pass of both checks; returns what it did. Workers go first: a worker that is silent as a
   * whole is gone (its tasks are requeued), while a task timeout blames a worker that still talks
   * but stopped reporting on its task.
   */
  check(): { workers: number; tasks: number } {
    const workers = this.checkWorkers();
    return { workers, tasks: this.checkTasks() };
  }

  checkWorkers(): number {
    const now = this.clock.now();
    const timeout = this.settings().worker_timeout_ms;
    let timedOut = 0;
    const groups: [readonly WorkerStatus[], number][] = [
      [LIVE_WORKER_STATUSES.filter((s) => s !== 'asleep'), timeout],
      [['asleep'], Math.max(timeout, ASLEEP_MIN_TIMEOUT_MS)],
    ];
    for (const [statuses, ms] of groups) {
      const deadline = now - ms;
      if (this.startedAt >= deadline) continue;
      for (const stale of this.repos.workers.unseenSince(statuses, deadline)) {
        if (this.timeOutWorker(stale.id, statuses, deadline)) timedOut++;
      }
    }
    return timedOut;
  }

  private timeOutWorker(id: string, statuses: readonly WorkerStatus[], deadline: number): boolean {
    return this.repos.write(() => {
      const w = this.repos.workers.get(id);
      if (!w || !statuses.includes(w.status)) return false;
      const heard = this.workers.lastHeard(w);
      if (heard >= deadline) {
        // Heard from since its last_seen was written (that write is done only now and then).
        if (heard > w.last_seen) this.repos.workers.setLastSeen(w.id, heard);
        return false;
      }
      const requeued = this.workers.releaseTasks(w, 'worker timed out');
      // Asking for the previous status lets a worker that comes back resume cleanly; a request
      // still pending (an admin's, a sleep schedule's, lazy or not) is kept as it is: the worker
      // has not seen it yet.
      this.repos.workers.timedOut(w.id, w.status_requested ? undefined : w.status === 'asleep' ? 'asleep' : 'awake', heard);
      this.log.warn('worker timed out', { worker: w.id, nickname: w.nickname, last_seen: isoTime(heard), requeued });
      return true;
    });
  }

  checkTasks(): number {
    const now = this.clock.now();
    const deadline = now - this.settings().task_timeout_ms;
    if (this.startedAt >= deadline) return 0;
    let n = 0;
    for (const stale of this.repos.tasks.activePingedBefore(deadline)) {
      this.repos.write(() => {
        const task = this.repos.tasks.get(stale.id);
        if (task?.status !== 'active' || (task.last_worker_ping ?? 0) >= deadline) return;
        const w = task.worker_id ? this.repos.workers.get(task.worker_id) : undefined;
        const who = w ? identifier(w) : 'an unknown worker';
        void this.taskLogs.append(task.job_id, task.id, `${isoTime(now)}: Task timed out: no word from worker ${who} since ${isoTime(task.last_worker_ping ?? 0)}`);
        if (w) {
          this.failures.workerFailed(task, w, `Task timed out on worker ${who}`);
          this.repos.workers.timedOut(w.id);
        }
        this.log.warn('task timed out', { task: task.id, job: task.job_id, worker: task.worker_id });
        n++;
      });
    }
    return n;
  }
}
