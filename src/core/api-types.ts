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
  last_seen: string;
}

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
}

export interface JobDetail extends JobView {
  settings: Record<string, unknown>;
  /** Waiting work of this job that no registered worker will pick up (see jobs/stuck.ts). */
  warnings: string[];
  task_list: TaskView[];
}

/** Which of a job's tasks to show: one status, at most `limit` of them, after the first `offset`. */
export interface TaskSelection {
  status?: string;
  limit?: number;
  offset?: number;
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
}
