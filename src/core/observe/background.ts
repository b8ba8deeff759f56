// The periodic work serve runs besides answering requests, registered in one place.
import type { ManagerConfig } from '../support/config';
import type { Logger } from '../support/logger';
import type { Observability } from './index';
import type { PeriodicTasks } from './periodic';

/**
 * Timeout checks often enough that a missed deadline is acted on within a second or two, even
 * for short configured timeouts; each pass is two index lookups when nothing is late.
 */
export function timeoutCheckInterval(workerTimeoutMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(workerTimeoutMs / 4)));
}

/** How often the checks run (ms); tests shorten them to see the timers at work. */
export interface BackgroundIntervals {
  timeouts?: number;
  schedules?: number;
}

/** The manager's services that work in the background (core/manager.ts). */
export interface BackgroundWork {
  readonly timers: PeriodicTasks;
  readonly config: ManagerConfig;
  readonly log: Logger;
  readonly timeouts: { check(): void };
  readonly sleepSchedules: { check(): void };
  readonly retention: { auto(retentionMs: number | null): unknown };
  readonly observe: Observability;
}

export function registerBackground(m: BackgroundWork, every: BackgroundIntervals = {}): void {
  m.timers.add('timeout check', every.timeouts ?? timeoutCheckInterval(m.config.worker_timeout_ms), () => m.timeouts.check());
  m.timers.add('sleep schedules', every.schedules ?? 5000, () => m.sleepSchedules.check());
  // Looked at every minute, pruned at most once an hour (lifecycle/retention.ts); it logs what it freed.
  m.timers.add('job retention', 60_000, () => m.retention.auto(m.config.job_retention_ms));
  m.observe.register(m.timers, m.log);
}
