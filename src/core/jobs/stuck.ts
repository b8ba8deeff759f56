// Work that no registered worker will pick up, said before anyone waits for it: a task type no
// worker supports, a tag no worker carries, workers that could take it but are all away (offline,
// asleep, timed out), a {variable} without a value for the platforms of the workers that would run
// it. submit, job, queue-status and the dashboard's "stuck" list show these same warnings.
import type { WorkerRecord } from '../../db/workers-repo';
import type { WorkerStatus } from '../support/statuses';
import type { Repos } from '../repos';
import { translateCommands } from './dialects';
import { runnableTaskTypes } from '../support/generations';
import { Variables } from './variables';
import { counted } from '../support/plural';

/** A job's warnings, as queue-status lists them. */
export interface JobWarnings {
  job: string;
  name: string;
  warnings: string[];
}

/** Workers in these statuses take (or will soon take) tasks. */
const AVAILABLE: readonly WorkerStatus[] = ['awake', 'starting', 'testing'];

export class StuckWork {
  constructor(
    private readonly repos: Repos,
    private readonly variables: () => Variables,
  ) {}

  /** The warnings for a job's waiting tasks; [] when every task type has a worker that can run it. */
  forJob(jobId: string, workers: WorkerRecord[] = this.repos.workers.list()): string[] {
    const job = this.repos.jobs.get(jobId);
    if (!job) return [];
    const out: string[] = [];
    const vars = this.variables();
    const blocks = this.repos.blocklist.list(jobId);
    // The job's task types as recorded at submission (db/job-task-types-repo.ts): reading them
    // from the job's tasks costs tens of milliseconds per 100 000 tasks at every farm summary.
    for (const { task_type, commands } of this.repos.jobTaskTypes.forJob(jobId)) {
      const placeholders = Variables.placeholders(commands);
      const blocked = new Set(blocks.filter((b) => b.task_type === task_type).map((b) => b.worker_id));
      // A type's recorded commands are one of its tasks that Flamenco 3 Workers cannot run, if any.
      const v3 = translateCommands(commands);
      const warnings = typeWarnings(task_type, placeholders, v3.ok ? undefined : v3.reason, job.tag, workers, blocked, vars);
      // Only the types with waiting tasks count; asked only for a type with something to say.
      if (warnings.length > 0 && this.repos.waiting.waits(jobId, task_type)) out.push(...warnings);
    }
    return out;
  }

  /** The warnings of every job with waiting tasks (or of one job), oldest job first. */
  forQueue(jobId?: string): JobWarnings[] {
    const workers = this.repos.workers.list();
    const ids = jobId !== undefined ? [jobId] : this.repos.waiting.jobsWithWaitingTasks();
    const out: JobWarnings[] = [];
    for (const id of ids) {
      const warnings = this.forJob(id, workers);
      if (warnings.length > 0) out.push({ job: id, name: this.repos.jobs.get(id)?.name ?? '', warnings });
    }
    return out;
  }
}

/** What keeps the tasks of one type of a job from being run, given the registered workers. */
function typeWarnings(
  taskType: string,
  placeholders: string[],
  noV3: string | undefined,
  tag: string | null,
  workers: WorkerRecord[],
  blocked: ReadonlySet<string>,
  vars: Variables,
): string[] {
  // The rules of dispatch (core/protocol/scheduler.ts): the types a worker runs, for a Flamenco 3
  // Worker those its announced types cover, and then only tasks with a Flamenco 3 equivalent.
  const typed = workers.filter((w) => runnableTaskTypes(w).includes(taskType));
  const runners = noV3 === undefined ? typed : typed.filter((w) => w.generation !== 'v3');
  if (runners.length === 0 && typed.length > 0) {
    return [`task type "${taskType}": its commands have no Flamenco 3 equivalent (${noV3}); only Flamenco 3 workers run this type`];
  }
  // The rules of the dispatch query (db/tasks-repo.ts nextForType): a tagged job runs only on workers with
  // its tag, and never on a worker blocklisted for the job's task type.
  const tagged = tag === null ? runners : runners.filter((w) => w.tags.includes(tag));
  const eligible = tagged.filter((w) => !blocked.has(w.id));
  if (runners.length === 0) return [`no registered worker runs task type "${taskType}"`];
  if (tagged.length === 0) return [`no registered worker with tag "${tag}" runs task type "${taskType}"`];
  if (eligible.length === 0) {
    const n = tagged.length;
    return [
      `every worker${tag === null ? '' : ` with tag "${tag}"`} that runs task type "${taskType}" is blocklisted for this job (${counted(n, 'worker')}); clear the blocklist to let them try again`,
    ];
  }
  const out: string[] = [];
  if (!eligible.some((w) => AVAILABLE.includes(w.status))) {
    const who = tag === null ? '' : ` with tag "${tag}"`;
    const n = eligible.length;
    out.push(`no available worker${who} runs task type "${taskType}" (${counted(n, 'such worker is', 'such workers are')} offline, asleep or timed out)`);
  }
  const platforms = [...new Set(eligible.map((w) => w.platform))].sort();
  for (const name of placeholders) {
    const missing = platforms.filter((p) => !vars.hasValue(name, p));
    if (missing.length === platforms.length) out.push(`{${name}} in task type "${taskType}" has no value for any worker platform (${platforms.join(', ')})`);
    else if (missing.length > 0) out.push(`{${name}} in task type "${taskType}" has no value for platform ${missing.join(', ')}`);
  }
  return out;
}
