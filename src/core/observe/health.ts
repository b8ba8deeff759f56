// /healthz: serve is healthy when it can read and write its database and its background timers run.
//
// /healthz answers anyone, so the database part is one shared probe: callers that arrive while a
// probe is under way wait for that probe, and a probe that succeeded stands for PROBE_EVERY_MS.
// Concurrent probes that each wrote the same key made one another's read-back fail (166 of 200
// concurrent calls answered 503), and a write per call let any client make serve write at will.
import type { WriteBatch } from '../../db/batch';
import type { Repos } from '../repos';
import type { Clock } from '../support/clock';
import type { PeriodicTasks } from './periodic';

export interface Health {
  ok: boolean;
  /** One sentence per problem; empty when healthy. */
  problems: string[];
}

/** The settings key the probe writes; its value is the time of the last probe. */
const PROBE_KEY = 'health_probe';
/** A successful database probe stands this long: at most one write per second, whoever asks. */
export const PROBE_EVERY_MS = 1000;

export interface HealthDeps {
  repos: Repos;
  batch: WriteBatch;
  timers: PeriodicTasks;
  clock: Clock;
}

export class HealthCheck {
  private running?: Promise<string | undefined>;
  private okAt = Number.NEGATIVE_INFINITY;
  private probes = 0;

  constructor(private readonly deps: HealthDeps) {}

  async check(): Promise<Health> {
    const problems: string[] = [];
    const db = await this.database();
    if (db) problems.push(db);
    for (const p of this.deps.timers.problems()) problems.push(p.reason);
    return { ok: problems.length === 0, problems };
  }

  /** The database's problem, or undefined when a probe shows it works. */
  private database(): Promise<string | undefined> {
    if (this.deps.clock.now() - this.okAt < PROBE_EVERY_MS) return Promise.resolve(undefined);
    this.running ??= this.probe().finally(() => (this.running = undefined));
    return this.running;
  }

  private async probe(): Promise<string | undefined> {
    const started = this.deps.clock.now();
    // Unique per probe, so that a read-back proves this probe's own write.
    const stamp = `${started}.${process.pid}.${++this.probes}`;
    try {
      // Through the group commit like every request's writes, and waited for: the probe proves
      // that a commit reaches the file, not just that a statement ran.
      this.deps.batch.run(() => this.deps.repos.settings.set(PROBE_KEY, stamp));
      await this.deps.batch.committed();
      if (this.deps.repos.settings.get(PROBE_KEY) !== stamp) return 'database: a write could not be read back';
      this.okAt = started;
      return undefined;
    } catch (err) {
      return `database: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}
