// /healthz: serve is healthy when it can read and write its database and its background timers run.
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

export async function checkHealth(deps: { repos: Repos; batch: WriteBatch; timers: PeriodicTasks; clock: Clock }): Promise<Health> {
  const problems: string[] = [];
  const stamp = String(deps.clock.now());
  try {
    // Through the group commit like every request's writes, and waited for: the probe proves that
    // a commit reaches the file, not just that a statement ran.
    deps.batch.run(() => deps.repos.settings.set(PROBE_KEY, stamp));
    await deps.batch.committed();
    if (deps.repos.settings.get(PROBE_KEY) !== stamp) problems.push('database: a write could not be read back');
  } catch (err) {
    problems.push(`database: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const p of deps.timers.problems()) problems.push(p.reason);
  return { ok: problems.length === 0, problems };
}
