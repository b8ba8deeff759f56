import type { Command } from 'commander';
import { io } from './io';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions } from './context';
import { withClient } from './client/connect';
import type { Listing } from '../core/listing';
import { colourStatus, type LimitOptions, listingOf, omittedNote, outputStyle, printJson, type TableOptions, withLimit, withOutput } from './format';
import { jobsTable } from './tables';
import { frameOf, showView, type WatchOptions, withWatch } from './live';
import { counted } from '../core/support/plural';

export function queueStatusCommand(program: Command): void {
  common(withWatch(withLimit(withOutput(program.command('queue-status').description('task and worker counts, and the current jobs (--all: every job)')), 'jobs')))
    .option('--job <id>', 'only this job')
    .action(async (opts: CommonOptions & TableOptions & LimitOptions & WatchOptions & { job?: string }) => {
      // One job is shown whatever its age.
      const listing: Listing = opts.job !== undefined ? { scope: 'all' } : listingOf(opts);
      const style = outputStyle(opts);
      let jobId = opts.job;
      await showView(opts, 'flamenco-mgr queue-status', async (c) => {
        const { status: q, omitted } = await c.queue(jobId, listing);
        if (jobId !== undefined) jobId = q.jobs[0]?.id ?? jobId;
        return frameOf(q, opts.json, () => {
          const nonZero = (c: Record<string, number>) =>
            Object.entries(c)
              .filter(([, n]) => n > 0)
              .map(([s, n]) => `${n} ${colourStatus(s, style)}`)
              .join(', ') || 'none';
          const warnings = q.warnings.flatMap((j) => j.warnings.map((w) => `warning: job ${j.name} (${j.job}): ${w}\n`)).join('');
          const head = `tasks:   ${nonZero(q.tasks)}\nworkers: ${nonZero(q.workers)}\n${warnings}\n`;
          if (q.jobs.length === 0) return `${head}no jobs\n`;
          return head + jobsTable(q.jobs, style, c.now()) + '\n' + omittedNote(omitted, 'older job');
        });
      });
    });
}

interface RequeueOptions extends CommonOptions {
  job?: string;
  failedOnly?: boolean;
  task?: string[];
  worker?: string;
}

export function requeueCommand(program: Command): void {
  common(
    program
      .command('requeue')
      .description("put tasks back in the queue: a whole job (or its failed tasks), single tasks, or a worker's running tasks")
      .option('--job <id>', "requeue this job's tasks")
      .option('--failed-only', 'with --job: only its failed tasks')
      .option('--task <id...>', 'requeue these tasks')
      .option('--worker <id>', 'requeue the tasks this worker is running'),
  ).action(async (opts: RequeueOptions) => {
    const chosen = [opts.job, opts.task, opts.worker].filter((x) => x !== undefined).length;
    if (chosen !== 1) throw new ValidationError('say what to requeue: exactly one of --job <id>, --task <id…> or --worker <id>');
    if (opts.failedOnly && !opts.job) throw new ValidationError('--failed-only goes with --job');
    await withClient(opts, async (c) => {
      let n: number;
      let what: string;
      if (opts.job) {
        n = await c.requeueJob(opts.job, opts.failedOnly ?? false);
        what = `${opts.failedOnly ? 'failed tasks of ' : ''}job ${opts.job}`;
      } else if (opts.task) {
        n = await c.requeueTasks(opts.task);
        what = counted(opts.task.length, 'task');
      } else {
        n = await c.requeueWorker(opts.worker!);
        what = `worker ${opts.worker}`;
      }
      if (opts.json) printJson({ requeued: n });
      else io.out(`requeued ${counted(n, 'task')} (${what})\n`);
    });
  });
}
