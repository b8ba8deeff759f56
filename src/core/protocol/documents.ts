// The Task document handed to workers.
import type { TaskRecord } from '../../db/tasks-repo';
import type { Repos } from '../repos';
import type { Variables } from '../jobs/variables';
import { translateCommands, v3AssignedTask, type V3AssignedTask } from '../jobs/dialects';

/** The task as handed to `worker`, who now runs it: placeholders expanded for its platform. */
export function taskDocument(
  repos: Repos,
  task: TaskRecord,
  worker: { platform: string; nickname: string },
  variables: Pick<Variables, 'expandCommands'>,
  jobType: (jobId: string) => string = (jobId) => repos.jobs.jobType(jobId) ?? '',
): Record<string, unknown> {
  const failures = repos.taskFailures.list(task.id);
  const doc: Record<string, unknown> = {
    _id: task.id,
    job: task.job_id,
    name: task.name,
    status: task.status,
    priority: task.priority,
    job_priority: task.job_priority,
    job_type: jobType(task.job_id),
    task_type: task.task_type,
    commands: variables.expandCommands(task.commands, worker.platform),
    parents: repos.taskParents.parents(task.id),
    worker: worker.nickname,
    activity: task.activity,
  };
  if (failures.length > 0) doc.failed_by_workers = failures.map((f) => ({ id: f.worker_id, identifier: f.identifier }));
  return doc;
}

/**
 * The task as handed to a Flamenco 3 Worker: placeholders expanded for its platform exactly as
 * for Worker 2.5, then the expanded commands translated, so a value like `{blender}` =
 * "/opt/blender/blender --factory-startup" is split into program and arguments like 2.5 splits it.
 * Not ok only when an expanded value breaks the translation (a variable's value with an unclosed
 * quote); the task was marked translatable at submission, before expansion.
 */
export function v3TaskDocument(
  repos: Repos,
  task: TaskRecord,
  worker: { platform: string },
  variables: Pick<Variables, 'expandCommands'>,
): { ok: true; task: V3AssignedTask } | { ok: false; reason: string } {
  const t = translateCommands(variables.expandCommands(task.commands, worker.platform));
  if (!t.ok) return t;
  return { ok: true, task: v3AssignedTask(task, { job_type: repos.jobs.jobType(task.job_id) ?? '' }, t.commands) };
}

/** Task documents of one manager: its repositories and variables. */
export class TaskDocuments {
  /**
   * Job type by job id: fixed at submission, and the same for every task of a job handed out
   * (one query less per hand-out). Emptied when it grows past JOB_TYPES_KEPT jobs.
   */
  private readonly jobTypes = new Map<string, string>();
  private readonly jobType = (jobId: string): string => {
    let t = this.jobTypes.get(jobId);
    if (t === undefined) {
      t = this.repos.jobs.jobType(jobId);
      if (t === undefined) return '';
      if (this.jobTypes.size >= JOB_TYPES_KEPT) this.jobTypes.clear();
      this.jobTypes.set(jobId, t);
    }
    return t;
  };

  constructor(
    private readonly repos: Repos,
    private readonly variables: () => Pick<Variables, 'expandCommands'>,
  ) {}

  forWorker(task: TaskRecord, worker: { platform: string; nickname: string }): Record<string, unknown> {
    return taskDocument(this.repos, task, worker, this.variables(), this.jobType);
  }

  forV3Worker(task: TaskRecord, worker: { platform: string }): ReturnType<typeof v3TaskDocument> {
    return v3TaskDocument(this.repos, task, worker, this.variables());
  }
}

const JOB_TYPES_KEPT = 1000;
