// Composes the services of one manager around one database. The HTTP server and the CLI both
// work through this object, so they share every rule.
import path from 'node:path';
import { WriteBatch } from '../db/batch';
import type { DB } from '../db/open';
import { type Clock, systemClock } from './support/clock';
import { defaultConfig, type ManagerConfig } from './support/config';
import { Blocklist } from './lifecycle/blocklist';
import { FailureHandler } from './lifecycle/failures';
import { JobActions } from './lifecycle/job-actions';
import { SleepScheduler } from './lifecycle/sleep-schedules';
import { ReadModels } from './read-models';
import { Names } from './names';
import { Retention } from './lifecycle/retention';
import { StuckWork } from './jobs/stuck';
import { TaskDocuments } from './protocol/documents';
import { type IdGenerator, objectIdGenerator } from './support/ids';
import { JobService } from './jobs/jobs';
import { type Logger, namingLogger, silentLogger } from './support/logger';
import { QueueService } from './lifecycle/queue';
import { createRepos, type Repos } from './repos';
import { Scheduler } from './protocol/scheduler';
import { allowedJobActions, StateMachine } from './lifecycle/state';
import { TaskLogs } from './protocol/task-logs';
import { TaskReports } from './protocol/task-reports';
import { TimeoutChecker } from './lifecycle/timeouts';
import { Variables } from './jobs/variables';
import { WorkerTags } from './protocol/worker-tags';
import { SEEN_WRITE_INTERVAL_MS, WorkerService } from './protocol/workers';
import { logRuns } from './protocol/task-log-runs';
import { PeriodicTasks } from './observe/periodic';
import { Observability } from './observe/index';
import { type Health, HealthCheck } from './observe/health';
import { RefusalLog } from './support/refusal-log';
import { SubmissionLimits } from './jobs/submission-limits';

export interface ManagerOptions {
  db: DB;
  dataDir: string;
  config?: ManagerConfig;
  clock?: Clock;
  ids?: IdGenerator;
  logger?: Logger;
}

export class Manager {
  readonly repos: Repos;
  /** Group commit for the HTTP server's requests (see db/batch.ts). */
  readonly batch: WriteBatch;
  readonly config: ManagerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly dataDir: string;
  readonly variables: Variables;
  readonly taskLogs: TaskLogs;
  readonly state: StateMachine;
  readonly workers: WorkerService;
  readonly scheduler: Scheduler;
  readonly reports: TaskReports;
  readonly failures: FailureHandler;
  readonly timeouts: TimeoutChecker;
  readonly jobs: JobService;
  readonly queue: QueueService;
  readonly jobActions: JobActions;
  /** The documents every output shares (CLI --json, /api/), built from the records. */
  readonly readModels: ReadModels;
  /** Turns what people type (names, id prefixes) into ids. */
  readonly names: Names;
  /** Deletes old finished jobs (prune-jobs, job_retention). */
  readonly retention: Retention;
  /** Warnings about waiting work no registered worker will pick up. */
  readonly stuck: StuckWork;
  /** The task documents handed to workers. */
  readonly documents: TaskDocuments;
  readonly blocklist: Blocklist;
  readonly sleepSchedules: SleepScheduler;
  readonly workerTags: WorkerTags;
  /** serve's background work; /healthz reports on it (see observe/periodic.ts). */
  readonly timers: PeriodicTasks;
  /** Where refusals are logged, at most once a minute per kind and address. */
  readonly refusals: RefusalLog;
  /** Tokenless submissions per address (the Blender add-on's). */
  readonly submissionLimits: SubmissionLimits;
  private observed?: Observability;
  private readonly healthCheck: HealthCheck;

  constructor(opts: ManagerOptions) {
    this.dataDir = opts.dataDir;
    this.config = opts.config ?? defaultConfig();
    this.clock = opts.clock ?? systemClock;
    const ids = opts.ids ?? objectIdGenerator(this.clock);
    const cfg = () => this.config;
    this.repos = createRepos(opts.db);
    const names = this.repos.names;
    this.log = namingLogger(opts.logger ?? silentLogger, { job: (id) => names.jobName(id), worker: (id) => names.workerNickname(id) });
    this.batch = new WriteBatch(opts.db, this.repos.tx);
    this.variables = new Variables(this.config.variables);
    this.taskLogs = new TaskLogs(path.join(this.dataDir, 'task-logs'), (file, err) =>
      this.log.warn('task log write failed', { file, error: err instanceof Error ? err.message : String(err) }),
    );
    this.state = new StateMachine(this.repos, this.clock, () => cfg().job_fail_share, this.log);
    this.workers = new WorkerService(this.repos, this.clock, ids, this.state, this.log, this.taskLogs);
    this.failures = new FailureHandler(this.repos, this.clock, this.state, cfg, this.log);
    this.scheduler = new Scheduler(this.repos, this.clock, this.state, this.taskLogs, this.log);
    this.reports = new TaskReports(
      this.repos,
      this.clock,
      this.state,
      this.failures,
      this.taskLogs,
      this.log,
      (fn) => this.batch.run(fn),
      (fn) => this.batch.runOne(fn),
    );
    this.timeouts = new TimeoutChecker(this.repos, this.clock, this.workers, this.failures, this.taskLogs, cfg, this.log);
    this.stuck = new StuckWork(this.repos, () => this.variables);
    this.jobs = new JobService(this.repos, this.clock, ids, this.log, this.stuck, this.variables, () => cfg().max_tasks_per_job);
    this.queue = new QueueService(this.repos, this.clock, this.state, this.workers, this.log, this.taskLogs, this.stuck);
    this.jobActions = new JobActions(this.repos, this.state, this.taskLogs, this.log);
    this.readModels = new ReadModels(this.repos, this.clock, this.stuck, {
      // serve's own record of a worker's requests is exact; the database's last_seen lags.
      heard: (w) => ({ at: this.workers.lastHeard(w), lagMs: this.workers.heardHere(w) ? 0 : SEEN_WRITE_INTERVAL_MS, usualMs: this.workers.usualGap(w) }),
      logRunCount: (job, task) => logRuns(this.taskLogs, job, task).length,
      offeredActions: allowedJobActions,
    });
    this.names = new Names(this.repos.names);
    this.retention = new Retention(this.repos, this.clock, this.jobActions, this.taskLogs, this.log);
    this.documents = new TaskDocuments(this.repos, () => this.variables);
    this.blocklist = new Blocklist(this.repos, this.log);
    this.workerTags = new WorkerTags(this.repos, this.log);
    this.sleepSchedules = new SleepScheduler(this.repos, this.clock, this.workers, this.log);
    this.timers = new PeriodicTasks(this.clock, this.log);
    this.refusals = new RefusalLog(this.log, this.clock);
    this.submissionLimits = new SubmissionLimits(this.clock);
    this.healthCheck = new HealthCheck({ repos: this.repos, batch: this.batch, timers: this.timers, clock: this.clock });
  }

  /** Whether the database can be written and read back and the background timers run (/healthz). */
  health(): Promise<Health> {
    return this.healthCheck.check();
  }

  /** The events feed and metrics (observe/index.ts), made on first use: CLI commands never need them. */
  get observe(): Observability {
    this.observed ??= new Observability(this);
    return this.observed;
  }
}
