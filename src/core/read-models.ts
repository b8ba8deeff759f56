// The read models: the documents (api-types.ts) shared by the CLI's --json output and the admin API: the same shapes everywhere.
import type { JobListing, JobRecord } from '../db/jobs-repo';
import type { TaskRecord } from '../db/tasks-repo';
import type { WorkerRecord } from '../db/workers-repo';
import { isoTime } from './support/clock';
import { NotFoundError, ValidationError } from './support/errors';
import { isId } from './support/ids';
import type { Repos } from './repos';
import type { Clock } from './support/clock';
import { ALL, isCurrent, type Listing, newest } from './listing';
import { taskProgress } from './jobs/progress';
import type { StuckWork } from './jobs/stuck';
import type { TaskRunRecord } from '../db/task-runs-repo';
import { NO_PACE, paceOf } from './jobs/pace';
import { silenceOf } from './support/silence';
import { isOneOf, JOB_STATUSES, type JobStatus, TASK_STATUSES, type TaskStatus } from './support/statuses';
import type { FirstFailure, JobDetail, JobView, OfferedJobAction, TaskDetail, TaskSelection, TaskView, TroubledWorker, WorkerView } from './api-types';

export type { FirstFailure, JobDetail, JobView, TaskDetail, TaskRunView, TaskSelection, TaskView, TroubledWorker, WorkerView } from './api-types';

/** The version in a worker's User-Agent (`Name/version …`); the whole string if it has no such form. */
export function softwareVersion(software: string): string {
  const m = /^[^/\s]+\/(\S.*)$/.exec(software);
  return m ? m[1]! : software;
}

/** When a worker was last heard from, and how far that may lag behind its last request (support/silence.ts). */
export type Heard = (w: WorkerRecord) => { at: number; lagMs: number; usualMs: number };

/**
 * What the read models take from the rest of the manager, handed in by it: they import neither
 * lifecycle/ nor protocol/, which build on them.
 */
export interface ReadModelNeeds {
  heard: Heard;
  /** How many runs of a task have a log (protocol/task-log-runs.ts). */
  logRunCount(jobId: string, taskId: string): number;
  /** The actions that fit a job now (lifecycle/state.ts allowedJobActions). */
  offeredActions(status: JobStatus, counts: Record<TaskStatus, number>): OfferedJobAction[];
}

export function workerView(repos: Repos, w: WorkerRecord, now: number, heard: Heard): WorkerView {
  // Labels only: neither the task's commands nor the job's settings are read.
  const task = w.current_task ? repos.tasks.label(w.current_task) : undefined;
  const jobName = task ? repos.jobs.name(task.job_id) : undefined;
  const h = heard(w);
  const silence = silenceOf(w, h.at, now, h.lagMs, h.usualMs);
  return {
    id: w.id,
    nickname: w.nickname,
    status: w.status,
    status_requested: w.status_requested || null,
    lazy_status_request: w.lazy_status_request,
    platform: w.platform,
    address: w.address,
    software: w.software,
    generation: w.generation,
    version: softwareVersion(w.software),
    can_restart: w.can_restart,
    supported_task_types: w.supported_task_types,
    tags: w.tags,
    current_task: w.current_task,
    current_task_name: task?.name ?? null,
    current_job: jobName === undefined ? null : task!.job_id,
    current_job_name: jobName ?? null,
    last_seen: isoTime(h.at),
    silent: silence ? { poll_s: silence.poll_ms / 1000 } : null,
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

/** What names a job in every listing of jobs (the job views, `queue-status`). */
export function jobHeading(j: JobListing): Pick<JobView, 'id' | 'name' | 'job_type' | 'status' | 'priority' | 'created'> {
  return { id: j.id, name: j.name, job_type: j.job_type, status: j.status, priority: j.priority, created: isoTime(j.created) };
}

export function jobView(repos: Repos, j: JobListing, counts: Record<TaskStatus, number> | undefined, now: number, offered: ReadModelNeeds['offeredActions']): JobView {
  const c = counts ?? taskCounts(repos, j.id);
  // Only an active job's completed runs are summed (its estimate); others need two index lookups,
  // and a job whose tasks all wait none (listings hold many: 20 µs a job less).
  const active = j.status === 'active';
  const waiting = (c.queued ?? 0) + (c.paused ?? 0);
  const ran = Object.values(c).reduce((a, b) => a + b, 0) > waiting;
  const workers = (windowMs: number) => repos.taskRuns.recentWorkers(j.id, windowMs);
  const pace = ran ? paceOf(j.status, c, repos.taskRuns.pace(j.id, active), active ? repos.taskRuns.openForJob(j.id) : [], workers, now) : NO_PACE;
  return {
    ...jobHeading(j),
    updated: isoTime(j.updated),
    activity: j.activity,
    tag: j.tag,
    metadata: j.metadata,
    submitter_platform: j.submitter_platform,
    tasks: c,
    actions: offered(j.status, c),
    ...pace,
  };
}

export function taskView(repos: Repos, t: TaskRecord, nicknames = new Map<string, string>(), run?: TaskRunRecord | null): TaskView {
  const r = run === undefined ? repos.taskRuns.latestFor([t.id]).get(t.id) : run;
  let nickname: string | null = null;
  if (t.worker_id) {
    nickname = nicknames.get(t.worker_id) ?? repos.workers.get(t.worker_id)?.nickname ?? null;
    if (nickname) nicknames.set(t.worker_id, nickname);
  }
  return {
    id: t.id,
    job: t.job_id,
    name: t.name,
    status: t.status,
    task_type: t.task_type,
    priority: t.priority,
    parents: repos.taskParents.parents(t.id),
    worker: t.worker_id,
    worker_nickname: nickname,
    activity: t.activity,
    progress: taskProgress(t.status, t.task_progress),
    failed_by_workers: repos.taskFailures.list(t.id).map((f) => ({ id: f.worker_id, identifier: f.identifier })),
    log_tail: t.log_tail,
    updated: isoTime(t.updated),
    started: r ? isoTime(r.started) : null,
    ended: r?.ended ? isoTime(r.ended) : null,
  };
}

export class ReadModels {
  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly stuck: StuckWork | undefined,
    private readonly needs: ReadModelNeeds,
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
    return { jobs: items.map((j) => jobView(this.repos, j, counts.get(j.id) ?? zeroCounts(TASK_STATUSES), now, this.needs.offeredActions)), omitted };
  }

  /** The jobs in any of these statuses, oldest first, their counts read once. */
  jobsIn(statuses: readonly JobStatus[]): JobView[] {
    const now = this.clock.now();
    const counts = allTaskCounts(this.repos);
    return statuses
      .flatMap((st) => this.repos.jobs.listings(st))
      .sort((a, b) => a.seq - b.seq)
      .map((j) => jobView(this.repos, j, counts.get(j.id) ?? zeroCounts(TASK_STATUSES), now, this.needs.offeredActions));
  }

  /** A job without its tasks: what the job actions answer with. */
  jobSummary(id: string): JobView {
    return jobView(this.repos, this.jobRecord(id), undefined, this.clock.now(), this.needs.offeredActions);
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
    const runs = this.repos.taskRuns.latestFor(items.map((t) => t.id));
    const job = {
      ...jobView(this.repos, j, counts, this.clock.now(), this.needs.offeredActions),
      settings: j.settings,
      warnings: this.stuck?.forJob(j.id) ?? [],
      first_failure: this.firstFailure(j.id),
      task_list: items.map((t) => taskView(this.repos, t, nicknames, runs.get(t.id) ?? null)),
    };
    return { job, omitted };
  }

  /** The job's first failed run, with its task's name. */
  firstFailure(jobId: string): FirstFailure | null {
    const f = this.repos.taskRuns.firstFailure(jobId);
    if (!f) return null;
    return {
      task: f.task_id,
      task_name: this.repos.tasks.label(f.task_id)?.name ?? f.task_id,
      worker_nickname: f.worker_name,
      ended: isoTime(f.ended ?? f.started),
      activity: f.activity,
    };
  }

  /** A job with its settings but without its tasks (the Blender add-on's Job). */
  jobWithSettings(id: string): JobView & { settings: Record<string, unknown> } {
    const j = this.jobRecord(id);
    return { ...jobView(this.repos, j, undefined, this.clock.now(), this.needs.offeredActions), settings: j.settings };
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

  /** A task with every run it had, each with its log's run number. */
  taskDetail(id: string): TaskDetail {
    const t = this.task(id);
    const now = this.clock.now();
    const runs = this.repos.taskRuns.forTask(t.id);
    // A task's log is rotated at every hand-out, as a run is recorded: the newest runs and the
    // newest logs go together (runs from before runs were recorded have a log and no row).
    const logged = this.needs.logRunCount(t.job, t.id);
    const offset = logged - runs.length;
    return {
      ...t,
      runs: runs.map((r, i) => ({
        worker: r.worker_id,
        worker_nickname: r.worker_name,
        started: isoTime(r.started),
        ended: r.ended === null ? null : isoTime(r.ended),
        // A run still going says what the task says now.
        outcome: r.outcome,
        activity: r.ended === null ? t.activity : r.activity,
        duration_ms: (r.ended ?? now) - r.started,
        log_run: offset + i + 1 >= 1 ? offset + i + 1 : null,
      })),
    };
  }

  /**
   * Workers a wrangler should look at, by name: timed out, in error, or silent (see
   * support/silence.ts), each with why. Only these get a full view: a large farm's others cost a
   * status check each.
   */
  troubledWorkers(): TroubledWorker[] {
    const now = this.clock.now();
    const out: TroubledWorker[] = [];
    for (const w of this.repos.workers.list()) {
      const h = this.needs.heard(w);
      const since = isoTime(h.at);
      let why: string | undefined;
      if (w.status === 'timeout') why = `timed out: not heard from since ${since}`;
      else if (w.status === 'error') why = `in error since ${since}`;
      else {
        const s = silenceOf(w, h.at, now, h.lagMs, h.usualMs);
        if (s)
          why = `silent for ${Math.round(s.silent_ms / 1000)} s (it asks every ${s.poll_ms / 1000} s when ${w.status === 'asleep' ? 'asleep' : w.current_task ? 'running a task' : 'idle'}): killed or cut off?`;
      }
      if (why) out.push({ id: w.id, nickname: w.nickname, status: w.status, last_seen: since, why });
    }
    return out;
  }

  workers(): WorkerView[] {
    const now = this.clock.now();
    return this.repos.workers.list().map((w) => workerView(this.repos, w, now, this.needs.heard));
  }

  /** At most `limit` workers (all without one), and how many were left out. */
  workerList(limit?: number): { workers: WorkerView[]; omitted: number } {
    if (limit === undefined) return { workers: this.workers(), omitted: 0 };
    const { workers, total } = this.repos.workers.listed(limit);
    const now = this.clock.now();
    return { workers: workers.map((w) => workerView(this.repos, w, now, this.needs.heard)), omitted: total - workers.length };
  }

  worker(id: string): WorkerView {
    const w = isId(id) ? this.repos.workers.get(id) : undefined;
    if (!w) throw new NotFoundError(`worker ${id} not found`);
    return workerView(this.repos, w, this.clock.now(), this.needs.heard);
  }
}
