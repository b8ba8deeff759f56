// The background timeout checks: silent workers and tasks whose worker stopped pinging.
import type { Clock } from '../support/clock';
import type { FailureHandler } from './failures';
import { isoTime } from '../support/clock';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import type { TaskLogs } from '../protocol/task-logs';
import { identifier, LIVE_STATUSES, type WorkerService } from '../protocol/workers';

export interface TimeoutSettings {
  worker_timeout_ms: number;
  task_timeout_ms: number;
}

export class TimeoutChecker {
  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly workers: WorkerService,
    private readonly failures: FailureHandler,
    private readonly logs: TaskLogs,
    private readonly settings: () => TimeoutSettings,
    private readonly log: Logger,
  ) {}

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
    const deadline = this.clock.now() - this.settings().worker_timeout_ms;
    let timedOut = 0;
    for (const stale of this.repos.workers.unseenSince(LIVE_STATUSES, deadline)) {
      this.repos.write(() => {
        const w = this.repos.workers.get(stale.id);
        if (!w || !(LIVE_STATUSES as readonly string[]).includes(w.status)) return;
        const heard = this.workers.lastHeard(w);
        if (heard >= deadline) {
          // Heard from since its last_seen was written (that write is done only now and then).
          if (heard > w.last_seen) this.repos.workers.setLastSeen(w.id, heard);
          return;
        }
        const requeued = this.workers.releaseTasks(w, 'worker timed out');
        // Asking for the previous status lets a worker that comes back resume cleanly; a request
        // already pending (an admin's, a schedule's) is kept.
        this.repos.workers.timedOut(w.id, w.status_requested || (w.status === 'asleep' ? 'asleep' : 'awake'), heard);
        this.log.warn('worker timed out', { worker: w.id, nickname: w.nickname, last_seen: isoTime(heard), requeued });
        timedOut++;
      });
    }
    return timedOut;
  }

  checkTasks(): number {
    const now = this.clock.now();
    const deadline = now - this.settings().task_timeout_ms;
    let n = 0;
    for (const stale of this.repos.tasks.activePingedBefore(deadline)) {
      this.repos.write(() => {
        const task = this.repos.tasks.get(stale.id);
        if (task?.status !== 'active' || (task.last_worker_ping ?? 0) >= deadline) return;
        const w = task.worker_id ? this.repos.workers.get(task.worker_id) : undefined;
        const who = w ? identifier(w) : 'an unknown worker';
        void this.logs.append(task.job_id, task.id, `${isoTime(now)}: Task timed out: no word from worker ${who} since ${isoTime(task.last_worker_ping ?? 0)}`);
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
