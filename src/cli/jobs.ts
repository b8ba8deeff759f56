// Job commands: list, inspect and steer jobs; read task logs.
import { io } from './io';
import type { Command } from 'commander';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions } from './context';
import type { JobAction } from './client/client';
import { withClient } from './client/connect';
import { type LimitOptions, listingOf, omittedNote, outputStyle, printJson, type TableOptions, withLimit, withOutput } from './format';
import { jobsTable, jobText } from './tables';
import { taskLogCommand } from './task-log';
import { waitJobCommand } from './wait-job';
import { frameOf, showView, type WatchOptions, withWatch } from './live';
import { DEFAULT_TASK_LIMIT, parseLimit } from '../core/listing';

export function jobsCommand(program: Command): void {
  common(
    withWatch(
      withLimit(withOutput(program.command('jobs').description('list the current jobs: unfinished ones and those finished in the last 24 hours (--all: every job)')), 'jobs'),
    ),
  )
    .option('--status <status>', 'only jobs in this status')
    .action(async (opts: CommonOptions & TableOptions & LimitOptions & WatchOptions & { status?: string }) => {
      const listing = listingOf(opts);
      const style = outputStyle(opts);
      await showView(opts, 'flamenco-mgr jobs', async (c) => {
        const { jobs, omitted } = await c.jobList(opts.status, listing);
        return frameOf(jobs, opts.json, () => (jobs.length === 0 ? 'no jobs\n' : jobsTable(jobs, style, c.now()) + '\n' + omittedNote(omitted, 'older job')));
      });
    });

  common(withWatch(withLimit(withOutput(program.command('job <id>').description('show a job: settings and tasks')), 'tasks', DEFAULT_TASK_LIMIT)))
    .option('--status <status>', 'only tasks in this status')
    .action(async (id: string, opts: CommonOptions & TableOptions & LimitOptions & WatchOptions & { status?: string }) => {
      const style = outputStyle(opts);
      const limit = opts.all ? undefined : (parseLimit(opts.limit, '--limit') ?? DEFAULT_TASK_LIMIT);
      if (opts.all && opts.limit !== undefined) throw new ValidationError('give --limit or --all, not both');
      let jobId: string | undefined;
      await showView(opts, `flamenco-mgr job ${id}`, async (c) => {
        // The name is resolved once: a watched job stays the one first shown.
        const { job: j, omitted } = await c.jobDetail(jobId ?? id, { status: opts.status, limit });
        jobId = j.id;
        return frameOf(j, opts.json, () => jobText(j, omitted, opts.status, style, c.now()));
      });
    });

  const action = (name: string, description: string, what: JobAction, verb: string) =>
    common(program.command(`${name} <job-id>`).description(description)).action(async (id: string, opts: CommonOptions) => {
      const job = await withClient(opts, (c) => c.jobAction(id, what));
      if (opts.json) return printJson(job);
      io.out(`${verb} job ${job.id} (${job.name}); it is now ${job.status}\n`);
    });
  action('cancel-job', 'cancel a job: waiting tasks are canceled, running ones stopped', 'cancel', 'canceled');
  action('pause-job', 'pause a job: no new tasks start, running ones finish', 'pause', 'paused');
  action('resume-job', 'resume a paused job', 'resume', 'resumed');

  common(program.command('set-priority <job-id> <priority>').description("change a job's priority (0-100, higher runs first)")).action(
    async (id: string, priority: string, opts: CommonOptions) => {
      if (!/^\d+$/.test(priority)) throw new ValidationError(`priority: "${priority}" is not a whole number from 0 to 100`);
      const job = await withClient(opts, (c) => c.setPriority(id, Number(priority)));
      if (opts.json) return printJson(job);
      io.out(`job ${job.id} now has priority ${job.priority}\n`);
    },
  );

  common(program.command('delete-job <job-id>').description('delete a job with nothing running: its tasks and logs')).action(async (id: string, opts: CommonOptions) => {
    const jobId = await withClient(opts, (c) => c.deleteJob(id));
    if (opts.json) return printJson({ deleted: jobId });
    io.out(`deleted job ${jobId}\n`);
  });

  taskLogCommand(program);
  waitJobCommand(program);
}
