// Retention: finished jobs older than a given age are deleted with their tasks and logs, on
// request (`prune-jobs`) or by serve at most once an hour when `job_retention` is configured.
// Either way the answer says what was freed.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../support/clock';
import { parseDuration } from '../support/config';
import { ValidationError } from '../support/errors';
import type { Logger } from '../support/logger';
import { isOneOf, type JobStatus } from '../support/statuses';
import type { Repos } from '../repos';
import type { TaskLogFiles } from './needs';
import type { JobActions } from './job-actions';

/** The statuses a job can be pruned in: nothing more will happen to it. */
export const PRUNABLE = ['completed', 'canceled', 'failed'] as const satisfies readonly JobStatus[];
export type PrunableStatus = (typeof PRUNABLE)[number];

export interface PruneResult {
  /** The jobs deleted, oldest first. */
  pruned: { id: string; name: string; status: JobStatus; tasks: number }[];
  jobs: number;
  tasks: number;
  /** Bytes of task logs removed. */
  log_bytes: number;
}

/** How often serve's automatic pruning runs at most. */
export const AUTO_PRUNE_EVERY_MS = 3_600_000;

/** An age as typed ("30d", "12h"); `field` names the option or body field in the message. */
export function parseAge(text: string, field: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new ValidationError(`${field}: "${text}" is not a duration (use e.g. "30d", "12h")`);
  }
}

export function parsePrunableStatuses(list: string[]): PrunableStatus[] {
  for (const s of list) {
    if (!isOneOf(PRUNABLE, s)) throw new ValidationError(`status: "${s}" is not a finished job status (${PRUNABLE.join(', ')})`);
  }
  return list as PrunableStatus[];
}

export class Retention {
  private lastAuto: number | undefined;

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly jobActions: JobActions,
    private readonly taskLogs: TaskLogFiles,
    private readonly log: Logger,
  ) {}

  /** Deletes the jobs in these statuses not changed for `olderThanMs`, each in its own transaction. */
  prune(olderThanMs: number, statuses: readonly PrunableStatus[] = PRUNABLE): PruneResult {
    if (!(olderThanMs > 0)) throw new ValidationError('older than: must be a positive duration');
    const cutoff = this.clock.now() - olderThanMs;
    const old = statuses
      .flatMap((s) => this.repos.jobs.listings(s))
      .filter((j) => j.updated < cutoff)
      .sort((a, b) => a.seq - b.seq);
    const result: PruneResult = { pruned: [], jobs: 0, tasks: 0, log_bytes: 0 };
    for (const j of old) {
      const tasks = Object.values(this.repos.taskCounts.forJob(j.id)).reduce((a, b) => a + (b ?? 0), 0);
      const bytes = sizeOf(this.taskLogs.dir(j.id));
      this.jobActions.delete(j.id);
      result.pruned.push({ id: j.id, name: j.name, status: j.status, tasks });
      result.jobs++;
      result.tasks += tasks;
      result.log_bytes += bytes;
    }
    if (result.jobs > 0) this.log.info('jobs pruned', { jobs: result.jobs, tasks: result.tasks, log_bytes: result.log_bytes });
    return result;
  }

  /**
   * serve's timer: prunes by the configured retention at most once per AUTO_PRUNE_EVERY_MS;
   * undefined when it did not run.
   */
  auto(retentionMs: number | null): PruneResult | undefined {
    if (retentionMs === null) return undefined;
    const now = this.clock.now();
    if (this.lastAuto !== undefined && now - this.lastAuto < AUTO_PRUNE_EVERY_MS) return undefined;
    this.lastAuto = now;
    return this.prune(retentionMs);
  }
}

/** Bytes in a directory tree; 0 when it does not exist. */
function sizeOf(dir: string): number {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += sizeOf(p);
    else if (e.isFile()) total += statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}
