// The read models: the documents (api-types.ts) shared by the CLI's --json output and the admin API: the same shapes everywhere.
import type { JobListing, JobRecord } from '../db/jobs-repo';
import type { TaskRecord } from '../db/tasks-repo';
import type { WorkerRecord } from '../db/workers-repo';
import { isoTime } from './support/clock';
import { NotFoundError, ValidationError } from './support/errors';
import { isId } from './support/ids';
import type { Repos } from './repos';
import { type Clock, systemClock } from './support/clock';
import { ALL, isCurrent, type Listing, newest } from './listing';
import { taskProgress } from './jobs/progress';
import type { StuckWork } from './jobs/stuck';
import { isOneOf, JOB_STATUSES, TASK_STATUSES, type TaskStatus } from './support/statuses';
import type { JobDetail, JobView, TaskSelection, TaskView, WorkerView } from './api-types';

export type { JobDetail, JobView, TaskSelection, TaskView, WorkerView } from './api-types';

/** The version in a worker's User-Agent (`Name/version …`); the whole string if it has no such form. */
export function softwareVersion(software: string): string {
  const m = /^[^/\s]+\/(\S.*)$/.exec(software);
  return m ? m[1]! : software;
}

export function workerView(repos: Repos, w: WorkerRecord): WorkerView {
  // Labels only: neither the task's commands nor the job's settings are read.
  const task = w.current_task ? repos.tasks.label(w.current_task) : undefined;
  const jobName = task ? repos.jobs.name(task.job_id) : undefined;
  return {
    id: w.id, nickname: w.nickname, status: w.status, status_requested: w.status_requested || null,
    lazy_status_request: w.lazy_status_request, platform: w.platform, address: w.address, software: w.software,
    generation: w.generation, version: softwareVersion(w.software), can_restart: w.can_restart,
    supported_task_types: w.supported_task_types, tags: w.tags, current_task: w.current_task, current_task_name: task?.name ?? null,
    current_job: jobName === undefined ? null : task!.job_id, current_job_name: jobName ?? null, last_seen: isoTime(w.last_seen),
  };
}

/** Every status of the list with a count of zero. */
export function zeroCounts<S extends string>(statuses: readonly S[]): Record<S, number> {
  return Object.fromEntries(statuses.map((s) => [s, 0])) as Record<S, number>;
}

export function taskCounts(repos: Repos, jobId: string): Record<TaskStatus, number> {
  return { ...zeroCounts(TASK_STATUSES), ...repos.taskCounts.forJob(jobId) };
}

/** Task counts of every job, read in one query (listings of many jobs). */
export function allTaskCounts(repos: Repos): Map<string, Record<TaskStatus, number>> {
  const out = new Map<string, Record<TaskStatus, number>>();
  for (const c of repos.taskCounts.all()) {
    let counts = out.get(c.job_id);
    if (!counts) {
      counts = zeroCounts(TASK_STATUSES);
      out.set(c.job_id, counts);
    }
    counts[c.status] += c.n;
  }
  return out;
}

export function jobView(repos: Repos, j: JobListing, counts?: Record<TaskStatus, number>): JobView {
  return {
    id: j.id, name: j.name, job_type: j.job_type, status: j.status, priority: j.priority, created: isoTime(j.created),
    updated: isoTime(j.updated), activity: j.activity, tag: j.tag, metadata: j.metadata,
    submitter_platform: j.submitter_platform, tasks: counts ?? taskCounts(repos, j.id),
  };
}

export function taskView(repos: Repos, t: TaskRecord, nicknames = new Map<string, string>()): TaskView {
  let nickname: string | null = null;
  if (t.worker_id) {
    nickname = nicknames.get(t.worker_id) ?? repos.workers.get(t.worker_id)?.nickname ?? null;
    if (nickname) nicknames.set(t.worker_id, nickname);
  }
  return {
    id: t.id, job: t.job_id, name: t.name, status: t.status, task_type: t.task_type, priority: t.priority,
    parents: repos.taskParents.parents(t.id), worker: t.worker_id, worker_nickname: nickname, activity: t.activity,
    progress: taskProgress(t.status, t.task_progress), failed_by_workers: repos.taskFailures.list(t.id).map((f) => ({ id: f.worker_id, identifier: f.identifier })),
    log_tail: t.log_tail, updated: isoTime(t.updated),
  };
}

export class ReadModels {
  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock = systemClock,
    private readonly stuck?: StuckWork,
  ) {}

  jobs(status?: string, listing: Listing = ALL): JobView[] {
    return this.jobList(status, listing).jobs;
  }

  /** The jobs a listing shows (see core/listing.ts), and how many older ones it left out. */
  jobList(status: string | undefined, listing: Listing): { jobs: JobView[]; omitted: number } {
    if (status !== undefined && !isOneOf(JOB_STATUSES, status)) {
      throw new ValidationError(`status: "${status}" is not a job status (${JOB_STATUSES.join(', ')})`);
    }
    // Without settings, and every job's counts in one query: a dashboard asks for this often.
    let list = this.repos.jobs.listings(status);
    const now = this.clock.now();
    if (listing.scope === 'current') list = list.filter((j) => isCurrent(j, now));
    const { items, omitted } = newest(list, listing.limit);
    const counts = allTaskCounts(this.repos);
    return { jobs: items.map((j) => jobView(this.repos, j, counts.get(j.id) ?? zeroCounts(TASK_STATUSES))), omitted };
  }

  /** A job without its tasks: what the job actions answer with. */
  jobSummary(id: string): JobView {
    return jobView(this.repos, this.jobRecord(id));
  }

  job(id: string, tasks: TaskSelection = {}): JobDetail {
    return this.jobDetail(id, tasks).job;
  }

  /**
   * A job with its tasks, those of one status only if asked, `limit` of them from `offset` in
   * creation order; `omitted` is how many of those tasks the page left out, before it and after
   * it. The job's task counts say how many there are in all, so a page knows which of how many it is.
   */
  jobDetail(id: string, sel: TaskSelection): { job: JobDetail; omitted: number } {
    const j = this.jobRecord(id);
    if (sel.status !== undefined && !isOneOf(TASK_STATUSES, sel.status)) {
      throw new ValidationError(`status: "${sel.status}" is not a task status (${TASK_STATUSES.join(', ')})`);
    }
    // Only the tasks shown are read (a job may have 100 000); the per-status counts say how many there are.
    const limit = sel.limit ?? -1;
    const offset = sel.offset ?? 0;
    const items = sel.status ? this.repos.tasks.forJobStatus(j.id, sel.status, limit, offset) : this.repos.tasks.listForJob(j.id, limit, offset);
    const counts = taskCounts(this.repos, j.id);
    const total = sel.status ? counts[sel.status] : Object.values(counts).reduce((a, b) => a + b, 0);
    const omitted = Math.max(0, total - items.length);
    const nicknames = new Map<string, string>();
    const job = {
      ...jobView(this.repos, j, counts), settings: j.settings, warnings: this.stuck?.forJob(j.id) ?? [],
      task_list: items.map((t) => taskView(this.repos, t, nicknames)),
    };
    return { job, omitted };
  }

  /** A job with its settings but without its tasks (the Blender add-on's Job). */
  jobWithSettings(id: string): JobView & { settings: Record<string, unknown> } {
    const j = this.jobRecord(id);
    return { ...jobView(this.repos, j), settings: j.settings };
  }

  private jobRecord(id: string): JobRecord {
    const j = isId(id) ? this.repos.jobs.get(id) : undefined;
    if (!j) throw new NotFoundError(`job ${id} not found`);
    return j;
  }

  task(id: string): TaskView {
    const t = isId(id) ? this.repos.tasks.get(id) : undefined;
    if (!t) throw new NotFoundError(`task ${id} not found`);
    return taskView(this.repos, t);
  }

  workers(): WorkerView[] {
    return this.repos.workers.list().map((w) => workerView(this.repos, w));
  }

  /** At most `limit` workers (all without one), and how many were left out. */
  workerList(limit?: number): { workers: WorkerView[]; omitted: number } {
    if (limit === undefined) return { workers: this.workers(), omitted: 0 };
    const { workers, total } = this.repos.workers.listed(limit);
    return { workers: workers.map((w) => workerView(this.repos, w)), omitted: total - workers.length };
  }

  worker(id: string): WorkerView {
    const w = isId(id) ? this.repos.workers.get(id) : undefined;
    if (!w) throw new NotFoundError(`worker ${id} not found`);
    return workerView(this.repos, w);
  }
}
