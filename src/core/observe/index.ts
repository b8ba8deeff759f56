// What serve offers for watching the farm, composed once per manager: the events feed, the
// metrics that follow it, the last-rendered images. Built on first use, so CLI commands never pay for it.
import path from 'node:path';
import type { ReadModels } from '../read-models';
import type { StuckWork } from '../jobs/stuck';
import type { Variables } from '../jobs/variables';
import type { Repos } from '../repos';
import type { Clock } from '../support/clock';
import type { ManagerConfig } from '../support/config';
import type { Logger } from '../support/logger';
import { EventFeed, JOURNAL_KEEP } from './feed';
import { FarmSummaries } from './farm-summary';
import { LastRendered } from './last-rendered';
import { Metrics } from './metrics';
import type { PeriodicTasks } from './periodic';
import { Webhooks } from './webhooks';

/** What watching the farm needs of its manager (core/manager.ts). */
export interface ObservedFarm {
  readonly repos: Repos;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly stuck: StuckWork;
  /** The read models the farm summary's attention lists are made of. */
  readonly readModels: ReadModels;
  /** Which jobs this process submitted itself, and logged already (jobs/jobs.ts). */
  readonly jobs: { takeSubmittedHere(jobId: string): boolean };
  /** Read at each use: a reload replaces it. */
  readonly config: ManagerConfig;
  /** Read at each use: a reload replaces them. */
  readonly variables: Variables;
  readonly log: Logger;
}

export class Observability {
  readonly feed: EventFeed;
  readonly metrics: Metrics;
  readonly lastRendered: LastRendered;
  readonly webhooks: Webhooks;
  readonly farm: FarmSummaries;

  constructor(m: ObservedFarm) {
    this.feed = new EventFeed(m.repos.db);
    this.metrics = new Metrics(m.repos.db, m.dataDir);
    this.feed.subscribe(this.metrics.onEvents);
    this.lastRendered = new LastRendered(
      m.repos,
      m.dataDir,
      // Where /api/v3 tells the Blender add-on the shared storage is.
      () => m.config.shared_storage ?? path.resolve(m.dataDir, 'shared-storage'),
      () => m.variables,
    );
    this.feed.subscribe((events) => {
      for (const e of events) {
        if (e.kind === 'last-rendered' && e.job_id && e.detail) void this.lastRendered.capture(e.job_id, e.detail);
        else if (e.kind === 'job' && e.status === 'deleted') void this.lastRendered.forget(e.entity);
      }
    });
    // Jobs the CLI of another process submitted reach serve only through the journal: serve logs
    // them as they appear, like the ones it took itself (which it logged already).
    this.feed.subscribe((events) => {
      for (const e of events) {
        if (e.kind !== 'job' || e.previous !== null || m.jobs.takeSubmittedHere(e.entity)) continue;
        const job = m.repos.jobs.get(e.entity);
        const tasks = Object.values(m.repos.taskCounts.forJob(e.entity)).reduce((a, b) => a + b, 0);
        m.log.info('job submitted', { job: e.entity, name: e.detail ?? undefined, job_type: job?.job_type, tasks, source: 'another process' });
      }
    });
    this.farm = new FarmSummaries(m.repos.db, m.clock, m.stuck, m.readModels);
    this.webhooks = new Webhooks(m.repos, m.clock, () => m.config, this.metrics, m.log);
    // The journal keeps what the webhook relay has not read yet, however long serve was down.
    this.feed.holdPruning(() => this.webhooks.cursor() + 1);
  }

  /** Where serve's periodic work for these lives (see background.ts). */
  register(timers: PeriodicTasks, log: Logger): void {
    // A dashboard sees a change within a quarter of a second; an empty poll is one index lookup.
    timers.add('events feed', 250, () => this.feed.poll());
    // Every 5 s, up to 5 000 events a pass: more than a busy farm writes, in small steps.
    timers.add('events journal pruning', 5000, () => {
      this.feed.prune(JOURNAL_KEEP);
      this.webhooks.prune();
    });
    // The relay is quick and synchronous; deliveries run on (their failures are recorded on
    // the delivery, and a receiver that hangs delays only its own queue).
    timers.add('webhooks', 1000, () => {
      this.webhooks.relay();
      this.webhooks.deliver().catch((err: unknown) => log.warn('webhook delivery could not be recorded', { error: String(err) }));
    });
  }
}
