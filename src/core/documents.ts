// The Task document handed to workers.
import type { TaskRecord } from '../db/tasks-repo';
import type { Repos } from './repos';
import type { Variables } from './variables';

export function taskDocument(repos: Repos, task: TaskRecord, platform: string, variables: Variables): Record<string, unknown> {
  const job = repos.jobs.get(task.job_id);
  const worker = task.worker_id ? repos.workers.get(task.worker_id) : undefined;
  const failures = repos.tasks.failures(task.id);
  const doc: Record<string, unknown> = {
    _id: task.id,
    job: task.job_id,
    name: task.name,
    status: task.status,
    priority: task.priority,
    job_priority: task.job_priority,
    job_type: job?.job_type ?? '',
    task_type: task.task_type,
    commands: variables.expandCommands(task.commands, platform),
    parents: repos.tasks.parents(task.id),
    worker: worker?.nickname ?? '',
    activity: task.activity,
  };
  if (failures.length > 0) doc.failed_by_workers = failures.map((f) => ({ id: f.worker_id, identifier: f.identifier }));
  return doc;
}
