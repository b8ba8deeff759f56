// The periodic work serve runs besides answering requests, registered in one place.
import type { Manager } from '../manager';

/**
 * Timeout checks often enough that a missed deadline is acted on within a second or two, even
 * for short configured timeouts; each pass is two index lookups when nothing is late.
 */
export function timeoutCheckInterval(workerTimeoutMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(workerTimeoutMs / 4)));
}

export function registerBackground(m: Manager): void {
  m.timers.add('timeout check', timeoutCheckInterval(m.config.worker_timeout_ms), () => m.timeouts.check());
  m.timers.add('sleep schedules', 5000, () => m.sleepSchedules.check());
  m.observe.register(m);
}
