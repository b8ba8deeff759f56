import type { Command } from 'commander';
import { io } from './io';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions, withManager } from './context';
import { printJson, progressBar, relativeTime, table } from './format';

export function queueStatusCommand(program: Command): void {
  common(program.command('queue-status').description('task, job and worker counts').option('--job <id>', 'only this job')).action(
    (opts: CommonOptions & { job?: string }) => {
      withManager(opts, ({ manager }) => {
        const q = manager.queue.status(opts.job === undefined ? undefined : manager.names.job(opts.job));
        if (opts.json) {
          printJson(q);
          return;
        }
        const nonZero = (c: Record<string, number>) =>
          Object.entries(c)
            .filter(([, n]) => n > 0)
            .map(([s, n]) => `${n} ${s || 'registered'}`)
            .join(', ') || 'none';
        io.out(`tasks:   ${nonZero(q.tasks)}\nworkers: ${nonZero(q.workers)}\n\n`);
        if (q.jobs.length === 0) {
          io.out('no jobs\n');
          return;
        }
        const now = manager.clock.now();
        const rows = q.jobs.map((j) => {
          const total = Object.values(j.tasks).reduce((a, b) => a + b, 0);
          return [j.id, j.name, j.job_type, j.status, String(j.priority), progressBar(j.tasks.completed ?? 0, total), `${j.tasks.completed}/${total}`, relativeTime(Date.parse(j.created), now)];
        });
        io.out(table(['JOB', 'NAME', 'TYPE', 'STATUS', 'PRIO', 'PROGRESS', 'DONE', 'CREATED'], rows) + '\n');
      });
    },
  );
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
      .description('put tasks back in the queue: a whole job (or its failed tasks), single tasks, or a worker\'s running tasks')
      .option('--job <id>', 'requeue this job\'s tasks')
      .option('--failed-only', 'with --job: only its failed tasks')
      .option('--task <id...>', 'requeue these tasks')
      .option('--worker <id>', 'requeue the tasks this worker is running'),
  ).action((opts: RequeueOptions) => {
    const chosen = [opts.job, opts.task, opts.worker].filter((x) => x !== undefined).length;
    if (chosen !== 1) throw new ValidationError('say what to requeue: exactly one of --job <id>, --task <id…> or --worker <id>');
    if (opts.failedOnly && !opts.job) throw new ValidationError('--failed-only goes with --job');
    withManager(opts, ({ manager }) => {
      let n: number;
      let what: string;
      if (opts.job) {
        n = manager.queue.requeueJob(manager.names.job(opts.job), opts.failedOnly ?? false);
        what = `${opts.failedOnly ? 'failed tasks of ' : ''}job ${opts.job}`;
      } else if (opts.task) {
        n = manager.queue.requeueTasks(opts.task.map((t) => manager.names.task(t)));
        what = `${opts.task.length} task${opts.task.length === 1 ? '' : 's'}`;
      } else {
        n = manager.queue.requeueWorker(manager.names.worker(opts.worker!));
        what = `worker ${opts.worker}`;
      }
      if (opts.json) printJson({ requeued: n });
      else io.out(`requeued ${n} task${n === 1 ? '' : 's'} (${what})\n`);
    });
  });
}
