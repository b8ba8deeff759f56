// What the commands ask of a farm. One interface, two implementations: LocalClient calls core on
// the data directory's database, RemoteClient calls a manager's /api/ over HTTP. The commands
// print what they get the same way either way, so local and remote output match, --json byte
// for byte (the API answers with the same views core makes).
import type { JobSummary, QueueStatus } from '../../core/lifecycle/queue';
import type { PrunableStatus, PruneResult } from '../../core/lifecycle/retention';
import type { BlocklistEntry } from '../../core/lifecycle/blocklist';
import type { ScheduleView } from '../../core/lifecycle/sleep-schedules';
import type { Listing } from '../../core/listing';
import type { JobDetail, JobView, TaskSelection, TaskView, WorkerView } from '../../core/read-models';
import type { TagChange, WorkerTagsView } from '../../core/protocol/worker-tags';
import type { Webhooks } from '../../core/observe/webhooks';

export type WebhookDeliveries = ReturnType<Webhooks['recent']>;

export type JobAction = 'cancel' | 'pause' | 'resume';

/** A run of a task's log (see core/protocol/task-log-runs.ts), without where it is stored. */
export interface RunInfo {
  run: number;
  worker: string | null;
}

export interface FarmClient {
  /** The time the views are relative to ("5s ago"). */
  now(): number;
  /**
   * How far a worker's last_seen may lag behind its last request: 0 when serve answers (it knows
   * to the request); on the database, the interval at which serve writes last_seen.
   */
  readonly lastSeenLagMs: number;
  close(): void;

  // jobs
  submit(doc: unknown): Promise<{ id: string; tasks: number; warnings: string[] }>;
  jobList(status: string | undefined, listing: Listing): Promise<{ jobs: JobView[]; omitted: number }>;
  /** `ref`: an id, a unique id prefix or a job name (core/names.ts), here and below. */
  jobDetail(ref: string, sel: TaskSelection): Promise<{ job: JobDetail; omitted: number }>;
  jobSummary(ref: string): Promise<JobView>;
  jobAction(ref: string, action: JobAction): Promise<JobView>;
  setPriority(ref: string, priority: number): Promise<JobView>;
  /** Returns the id of the deleted job. */
  deleteJob(ref: string): Promise<string>;
  prune(olderThanMs: number, statuses: PrunableStatus[]): Promise<PruneResult>;

  // queue
  queue(jobRef: string | undefined, listing: Listing): Promise<{ status: QueueStatus; omitted: number }>;
  requeueJob(ref: string, failedOnly: boolean): Promise<number>;
  requeueTasks(refs: string[]): Promise<number>;
  requeueWorker(ref: string): Promise<number>;

  // tasks and their logs
  task(ref: string): Promise<TaskView>;
  logRuns(task: TaskView): Promise<RunInfo[]>;
  /** A run's log (the latest when run is undefined), or its last `tail` lines; '' when there is none. */
  readRun(task: TaskView, run: number | undefined, tail: number | undefined): Promise<string>;
  /** The latest run's log from `offset`, and the file's size (smaller than offset: a new run began). */
  readFrom(task: TaskView, offset: number): Promise<{ data: Buffer; size: number }>;
  /** The last `tail` lines of the latest run, and the size they end at. */
  tailWithSize(task: TaskView, tail: number): Promise<{ text: string; size: number }>;

  // workers
  workers(): Promise<WorkerView[]>;
  requestStatus(ref: string, status: string, lazy: boolean): Promise<WorkerView>;
  /** Returns the worker's id and how many of its tasks were requeued. */
  forgetWorker(ref: string): Promise<{ id: string; requeued: number }>;
  sleepSchedule(ref: string): Promise<{ worker: string; schedule: ScheduleView | null }>;
  setSleepSchedule(ref: string, days: string, start: string, end: string): Promise<ScheduleView>;
  /** Returns the worker's id. */
  sleepScheduleOff(ref: string): Promise<string>;

  workerTags(ref: string): Promise<WorkerTagsView>;
  changeWorkerTags(ref: string, change: TagChange): Promise<WorkerTagsView>;

  // webhook deliveries (observe/webhooks.ts)
  webhooks(limit: number): Promise<WebhookDeliveries>;

  // blocklist
  blocklist(jobRef: string | undefined): Promise<BlocklistEntry[]>;
  clearBlocklist(jobRef: string, workerRef: string | undefined, taskType: string | undefined): Promise<number>;
}

export type { JobSummary };
