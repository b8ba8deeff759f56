// serve's background work (timeout checks, sleep schedules, the events feed, webhook deliveries)
// as named periodic tasks, so that /healthz can tell whether each one still runs and succeeds.
import type { Clock } from '../support/clock';
import type { Logger } from '../support/logger';

interface Periodic {
  name: string;
  everyMs: number;
  fn: () => unknown;
  timer?: NodeJS.Timeout;
  /** When the task last finished a run (or was started), by the injected clock. */
  lastRun: number;
  lastError?: string;
  /** When the current run of failures began. */
  failingSince?: number;
  running: boolean;
}

export interface TimerProblem {
  name: string;
  reason: string;
}

/** A run may come late by this many intervals (a busy event loop) before it counts as stopped. */
const LATE_INTERVALS = 3;
/** ...and never less than this, for tasks that run every few hundred milliseconds. */
const LATE_MIN_MS = 10_000;

export class PeriodicTasks {
  private readonly tasks = new Map<string, Periodic>();
  private started = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Registers a task; fn may return a promise, and a run is not started while the last one is under way. */
  add(name: string, everyMs: number, fn: () => unknown): void {
    if (this.tasks.has(name)) throw new Error(`periodic task ${name} registered twice`);
    const t: Periodic = { name, everyMs, fn, lastRun: this.clock.now(), running: false };
    this.tasks.set(name, t);
    if (this.started) this.schedule(t);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const t of this.tasks.values()) {
      t.lastRun = this.clock.now();
      this.schedule(t);
    }
  }

  stop(): void {
    this.started = false;
    for (const t of this.tasks.values()) {
      clearInterval(t.timer);
      t.timer = undefined;
    }
  }

  names(): string[] {
    return [...this.tasks.keys()];
  }

  private schedule(t: Periodic): void {
    t.timer = setInterval(() => void this.run(t.name), t.everyMs);
  }

  /** Runs one task now (the timers call this; tests call it instead of waiting). */
  async run(name: string): Promise<void> {
    const t = this.tasks.get(name);
    if (!t || t.running) return;
    t.running = true;
    try {
      await t.fn();
      if (t.lastError) this.log.info('periodic task recovered', { task: name });
      t.lastError = undefined;
      t.failingSince = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (t.lastError !== message) this.log.warn('periodic task failed; retrying', { task: name, error: message });
      t.lastError = message;
      t.failingSince ??= this.clock.now();
    } finally {
      t.running = false;
      t.lastRun = this.clock.now();
    }
  }

  async runAll(): Promise<void> {
    for (const name of this.tasks.keys()) await this.run(name);
  }

  /** What is wrong with the background work: not started, failing for a while, or not run for too long. */
  problems(): TimerProblem[] {
    const out: TimerProblem[] = [];
    if (!this.started) return [{ name: 'timers', reason: 'the background timers are not running' }];
    const now = this.clock.now();
    for (const t of this.tasks.values()) {
      const late = Math.max(LATE_INTERVALS * t.everyMs, LATE_MIN_MS);
      // One failed run (a moment of lock contention) is not a problem yet; failing for as long
      // as a stopped timer would be late is.
      if (t.failingSince !== undefined && now - t.failingSince >= late) out.push({ name: t.name, reason: `${t.name} fails: ${t.lastError}` });
      else if (now - t.lastRun > late) out.push({ name: t.name, reason: `${t.name} has not run for ${Math.round((now - t.lastRun) / 1000)} s` });
    }
    return out;
  }
}
