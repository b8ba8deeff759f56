// Job commands: list, inspect and steer jobs; read task logs.
import { io } from './io';
import type { Command } from 'commander';
import { ValidationError } from '../core/support/errors';
import type { JobRecord } from '../db/jobs-repo';
import type { Manager } from '../core/manager';
import { common, type CommonOptions, withManager } from './context';
import { type LimitOptions, listingOf, omittedNote, outputStyle, printJson, type TableOptions, withLimit, withOutput } from './format';
import { jobsTable, jobText } from './tables';
import { taskLogCommand } from './task-log';
import { waitJobCommand } from './wait-job';
import { frameOf, showView, type WatchOptions, withWatch } from './live';
import { DEFAULT_TASK_LIMIT, parseLimit } from '../core/listing';

export function jobsCommand(program: Command): void {
  common(withWatch(withLimit(withOutput(program.command('jobs').description('list the current jobs: unfinished ones and those finished in the last 24 hours (--all: every job)')), 'jobs')))
    .option('--status <status>', 'only jobs in this status')
    .action(async (opts: CommonOptions & TableOptions & LimitOptions & WatchOptions & { status?: string }) => {
      const listing = listingOf(opts);
      const style = outputStyle(opts);
      await showView(opts, 'flamenco-mgr jobs', (manager) => {
        const { jobs, omitted } = manager.views.jobList(opts.status, listing);
        return frameOf(jobs, opts.json, () =>
          jobs.length === 0 ? 'no jobs\n' : jobsTable(jobs, style, manager.clock.now()) + '\n' + omittedNote(omitted, 'older jobs'),
        );
      });
    });

  common(withWatch(withLimit(withOutput(program.command('job <id>').description('show a job: settings and tasks')), 'tasks', DEFAULT_TASK_LIMIT)))
    .option('--status <status>', 'only tasks in this status')
    .action(async (id: string, opts: CommonOptions & TableOptions & LimitOptions & WatchOptions & { status?: string }) => {
      const style = outputStyle(opts);
      const limit = opts.all ? undefined : (parseLimit(opts.limit, '--limit') ?? DEFAULT_TASK_LIMIT);
      if (opts.all && opts.limit !== undefined) throw new ValidationError('give --limit or --all, not both');
      let jobId: string | undefined;
      await showView(opts, `flamenco-mgr job ${id}`, (manager) => {
        jobId ??= manager.names.job(id);
        const { job: j, omitted } = manager.views.jobDetail(jobId, { status: opts.status, limit });
        return frameOf(j, opts.json, () => jobText(j, omitted, opts.status, style, manager.clock.now()));
      });
    });


  const action = (name: string, description: string, run: (m: Manager, id: string) => JobRecord, verb: string) =>
    common(program.command(`${name} <job-id>`).description(description)).action((id: string, opts: CommonOptions) => {
      withManager(opts, ({ manager }) => {
        const job = run(manager, manager.names.job(id));
        if (opts.json) return printJson(manager.views.jobSummary(job.id));
        io.out(`${verb} job ${job.id} (${job.name}); it is now ${job.status}\n`);
      });
    });
  action('cancel-job', 'cancel a job: waiting tasks are canceled, running ones stopped', (m, id) => m.jobActions.cancel(id), 'canceled');
  action('pause-job', 'pause a job: no new tasks start, running ones finish', (m, id) => m.jobActions.pause(id), 'paused');
  action('resume-job', 'resume a paused job', (m, id) => m.jobActions.resume(id), 'resumed');

  common(program.command('set-priority <job-id> <priority>').description('change a job\'s priority (0-100, higher runs first)')).action(
    (id: string, priority: string, opts: CommonOptions) => {
      if (!/^\d+$/.test(priority)) throw new ValidationError(`priority: "${priority}" is not a whole number from 0 to 100`);
      withManager(opts, ({ manager }) => {
        const job = manager.jobActions.setPriority(manager.names.job(id), Number(priority));
        if (opts.json) return printJson(manager.views.jobSummary(job.id));
        io.out(`job ${job.id} now has priority ${job.priority}\n`);
      });
    },
  );

  common(program.command('delete-job <job-id>').description('delete a job with nothing running: its tasks and logs')).action(
    (id: string, opts: CommonOptions) => {
      withManager(opts, ({ manager }) => {
        const jobId = manager.names.job(id);
        manager.jobActions.delete(jobId);
        if (opts.json) return printJson({ deleted: jobId });
        io.out(`deleted job ${jobId}\n`);
      });
    },
  );

  taskLogCommand(program);
  waitJobCommand(program);
}
