// The documents the API answers and the CLI prints with --json, as types only: the read models
// (read-models.ts, lifecycle/blocklist.ts, observe/farm-summary.ts) build them, and the dashboard
// imports them (type-only) instead of declaring its own copies. Imports nothing but the status
// vocabulary, so that the dashboard's build sees no server code.
import type { JobStatus, RequestableStatus, TaskStatus, WorkerStatus } from './support/statuses';

export interface WorkerView {
  id: string;
  nickname: string;
  status: WorkerStatus;
  /** null when nothing is requested. */
  status_requested: RequestableStatus | null;
  lazy_status_request: boolean;
  platform: string;
  address: string;
  /** Its last User-Agent, e.g. `Flamenco/3.9 (abc123)` or `Flamenco-Worker/2.5`. */
  software: string;
  /** Which worker it is: Flamenco Worker 2.5 ('v2') or the Flamenco 3 Worker ('v3'). */
  generation: 'v2' | 'v3';
  /** The version its software says, e.g. `3.9 (abc123)` or `2.5`. */
  version: string;
  /** It said it restarts when asked to: `restart` may be requested of it. */
  can_restart: boolean;
  supported_task_types: string[];
  /** Jobs with a tag run only on workers that have it. */
  tags: string[];
  current_task: string | null;
  /** The current task's name (e.g. `blender-render-1-10`) and its job, for people to read. */
  current_task_name: string | null;
  current_job: string | null;
  current_job_name: string | null;
  /**
   * When the worker was last heard from: serve knows it to the request; elsewhere (the CLI on the
   * database) it is the stored last_seen, written at most every 15 s.
   */
  last_seen: string;
  /**
   * Set when the worker has been quiet for longer than twice the interval at which it asks the
   * manager something in its status (core/support/silence.ts): likely killed or cut off, before
   * worker_timeout says so; since last_seen. `poll_s`: that interval.
   */
  silent: { poll_s: number } | null;
}

/** A worker in trouble, with why, for the farm summary. */
export interface TroubledWorker {
  id: string;
  nickname: string;
  status: WorkerStatus;
  last_seen: string;
  why: string;
}

/** What a job page may offer (core/lifecycle/state.ts allowedJobActions decides which fit). */
export type OfferedJobAction = 'cancel' | 'pause' | 'resume' | 'requeue' | 'requeue-failed' | 'delete';

export interface JobView {
  id: string;
  name: string;
  job_type: string;
  status: JobStatus;
  priority: number;
  created: string;
  updated: string;
  activity: string;
  tag: string | null;
  metadata: Record<string, string>;
  submitter_platform: string | null;
  tasks: Record<TaskStatus, number>;
  /** What can be done to the job now (core/lifecycle/state.ts allowedJobActions). */
  actions: OfferedJobAction[];
  /** When its first task run started; null before one did. */
  run_started: string | null;
  /** When its last task run ended, once none runs (with run_started: how long it took). */
  run_ended: string | null;
  /** When it will likely have completed, from its completed runs (core/jobs/pace.ts); null without an estimate. */
  estimated_end: string | null;
  /** The mean duration of its completed task runs (measured while the job is active). */
  mean_task_ms: number | null;
}

export interface TaskView {
  id: string;
  job: string;
  name: string;
  status: TaskStatus;
  task_type: string;
  priority: number;
  parents: string[];
  worker: string | null;
  worker_nickname: string | null;
  activity: string;
  progress: number;
  failed_by_workers: { id: string; identifier: string }[];
  log_tail: string;
  updated: string;
  /** When its latest run started and ended (null while it runs, or both null if never run). */
  started: string | null;
  ended: string | null;
}

/** One run of a task: who ran it, when, how it ended, and which of the task's logs is its own. */
export interface TaskRunView {
  worker: string;
  worker_nickname: string;
  started: string;
  ended: string | null;
  /** The task status the run ended in; null while it runs. */
  outcome: TaskStatus | null;
  /** The task's activity when the run ended (why it failed, what the worker said last); while it runs, its activity now. */
  activity: string;
  duration_ms: number;
  /** Its log's run number (GET /api/tasks/{id}/log?run=N, task-log --run N); null without a log. */
  log_run: number | null;
}

export interface TaskDetail extends TaskView {
  /** Every run, oldest first. */
  runs: TaskRunView[];
}

/** A job's first failed run: which task, on which worker, when, and what the task said then. */
export interface FirstFailure {
  task: string;
  task_name: string;
  worker_nickname: string;
  ended: string;
  activity: string;
}

export interface JobDetail extends JobView {
  settings: Record<string, unknown>;
  /** Waiting work of this job that no registered worker will pick up (see jobs/stuck.ts). */
  warnings: string[];
  /** The job's first failed run: the reason to look at first when it failed. */
  first_failure: FirstFailure | null;
  task_list: TaskView[];
}

/** Which of a job's tasks to show: one status, at most `limit` of them, after the first `offset`. */
export interface TaskSelection {
  status?: string;
  limit?: number;
  offset?: number;
}

/** A worker's sleep schedule: the days (none: every day) and the window it sleeps in. */
export interface ScheduleView {
  worker_id: string;
  days: string[];
  start: string;
  end: string;
}

export interface BlocklistEntry {
  job: string;
  task_type: string;
  worker: string;
  worker_nickname: string | null;
  created: string;
}

export interface StuckJob {
  job: string;
  name: string;
  reason: string;
}

export interface FarmSummary {
  jobs: Record<string, number>;
  tasks: Record<string, number>;
  workers: Record<string, number>;
  /** By worker id: the task it runs and that task's job, with names (not bare ids). */
  current_tasks: Record<string, { task: string; task_name: string; job: string; job_name: string }>;
  stuck: StuckJob[];
  /** What needs a wrangler, by name (besides `stuck`). */
  attention: Attention;
}

export interface Attention {
  /** Failed jobs (those finished within a day), newest first, with the first failure of each. */
  failed: { job: string; name: string; activity: string; failed_tasks: number; first_failure: FirstFailure | null }[];
  /** How many more failed jobs there are than `failed` lists. */
  failed_omitted: number;
  workers: TroubledWorker[];
  /** Jobs with tasks running, with how far they are and their estimated end (core/jobs/pace.ts). */
  running: {
    job: string;
    name: string;
    status: string;
    completed: number;
    total: number;
    running: number;
    run_started: string | null;
    estimated_end: string | null;
    mean_task_ms: number | null;
  }[];
}

/** What the dashboard writes under a last-rendered image. */
export interface RenderedInfo {
  job: string | null;
  job_name: string | null;
  path: string | null;
  /** The frame number: the last run of digits in the file name (`shot_0042.png` → 42). */
  frame: number | null;
  /** When the manager took its copy of the image, soon after a worker reported it. */
  captured: string | null;
}
