// Work that no registered worker will pick up, said before anyone waits for it: a task type no
// worker supports, a tag no worker carries, workers that could take it but are all away (offline,
// asleep, timed out), a {variable} without a value for the platforms of the workers that would run
// it. submit, job, queue-status and the dashboard's "stuck" list show these same warnings.
import type { WorkerRecord } from '../../db/workers-repo';
import type { WorkerStatus } from '../support/statuses';
import type { Repos } from '../repos';
import { Variables } from './variables';

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

  /** A submitted job's answer with its warnings: what submit and POST /api/jobs print. */
  submitted<T extends { id: string }>(r: T): T & { warnings: string[] } {
    return { ...r, warnings: this.forJob(r.id) };
  }

  /** The warnings for a job's waiting tasks; [] when every task type has a worker that can run it. */
  forJob(jobId: string, workers: WorkerRecord[] = this.repos.workers.list()): string[] {
    const job = this.repos.jobs.get(jobId);
    if (!job) return [];
    const out: string[] = [];
    const vars = this.variables();
    for (const { task_type, commands } of this.repos.waiting.taskTypes(jobId)) {
      const runners = workers.filter((w) => w.supported_task_types.includes(task_type));
      // The tag rule of dispatch (db/tasks-repo.ts nextForType): a tagged job runs only on workers with its tag.
      const eligible = job.tag === null ? runners : runners.filter((w) => w.tags.includes(job.tag!));
      if (runners.length === 0) {
        out.push(`no registered worker runs task type "${task_type}"`);
        continue;
      }
      if (eligible.length === 0) {
        out.push(`no registered worker with tag "${job.tag}" runs task type "${task_type}"`);
        continue;
      }
      if (!eligible.some((w) => AVAILABLE.includes(w.status))) {
        const who = job.tag === null ? '' : ` with tag "${job.tag}"`;
        const n = eligible.length;
        out.push(`no available worker${who} runs task type "${task_type}" (${n} such ${n === 1 ? 'worker is' : 'workers are'} offline, asleep or timed out)`);
      }
      const platforms = [...new Set(eligible.map((w) => w.platform))].sort();
      for (const name of Variables.placeholders(commands)) {
        const missing = platforms.filter((p) => !vars.hasValue(name, p));
        if (missing.length === platforms.length) out.push(`{${name}} in task type "${task_type}" has no value for any worker platform (${platforms.join(', ')})`);
        else if (missing.length > 0) out.push(`{${name}} in task type "${task_type}" has no value for platform ${missing.join(', ')}`);
      }
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
