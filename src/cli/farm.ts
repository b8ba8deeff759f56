// Farm commands: forget a worker, the blocklist, sleep schedules.
import type { Command } from 'commander';
import { io } from './io';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions } from './context';
import { withClient } from './client/connect';
import { outputStyle, printJson, relativeTime, table, type TableOptions, withOutput } from './format';
import { counted } from '../core/support/plural';

export function forgetWorkerCommand(program: Command): void {
  common(program.command('forget-worker <worker-id>').description('remove a worker for good (its running tasks are requeued first)')).action(
    async (id: string, opts: CommonOptions) => {
      const { id: workerId, requeued } = await withClient(opts, (c) => c.forgetWorker(id));
      if (opts.json) return printJson({ forgotten: workerId, requeued });
      io.out(`forgot worker ${workerId}; requeued ${counted(requeued, 'task')}\n`);
    },
  );
}

export function blocklistCommand(program: Command): void {
  const bl = common(withOutput(program.command('blocklist').description('workers that may no longer run a task type of a job').option('--job <id>', 'only this job')));
  bl.action(async (opts: CommonOptions & TableOptions & { job?: string }) => {
    const style = outputStyle(opts);
    await withClient(opts, async (c) => {
      const list = await c.blocklist(opts.job);
      if (opts.json) return printJson(list);
      if (list.length === 0) return void io.out('the blocklist is empty\n');
      const now = c.now();
      const rows = list.map((b) => [b.job, b.task_type, b.worker, b.worker_nickname ?? '-', relativeTime(Date.parse(b.created), now)]);
      io.out(table(['JOB', 'TASK TYPE', 'WORKER', 'NICKNAME', 'SINCE'], rows, style, { ids: ['JOB', 'WORKER'] }) + '\n');
    });
  });
  common(
    bl
      .command('clear')
      .description('remove blocklist entries of a job')
      .option('--job <id>', 'the job (required)')
      .option('--worker <id>', "only this worker's entries")
      .option('--task-type <type>', 'only this task type'),
  ).action(async (_: unknown, cmd: Command) => {
    // `blocklist` itself has --job, --data-dir and --json and takes them wherever they appear on
    // the command line, also after "clear": read both commands' options.
    const opts = cmd.optsWithGlobals() as CommonOptions & { job?: string; worker?: string; taskType?: string };
    const job = opts.job;
    if (!job) throw new ValidationError('say which job: --job <id>');
    const removed = await withClient(opts, (c) => c.clearBlocklist(job, opts.worker, opts.taskType));
    if (opts.json) return printJson({ removed });
    io.out(`removed ${counted(removed, 'blocklist entry', 'blocklist entries')}\n`);
  });
}

export function sleepScheduleCommand(program: Command): void {
  common(
    program
      .command('sleep-schedule <worker-id>')
      .description('let a worker sleep on given days between two times (local time); the window may cross midnight')
      .option('--days <days>', 'e.g. "mo tu we th fr" (default: every day)')
      .option('--start <HH:MM>', 'start of the sleep window')
      .option('--end <HH:MM>', 'end of the sleep window')
      .option('--off', 'remove the schedule'),
  ).action(async (id: string, opts: CommonOptions & { days?: string; start?: string; end?: string; off?: boolean }) => {
    await withClient(opts, async (c) => {
      if (opts.off) {
        if (opts.start || opts.end || opts.days) throw new ValidationError('--off takes no --days, --start or --end');
        const workerId = await c.sleepScheduleOff(id);
        if (opts.json) return printJson({ worker_id: workerId, schedule: null });
        return void io.out(`removed the sleep schedule of worker ${workerId}\n`);
      }
      if (!opts.start || !opts.end) {
        if (opts.start || opts.end || opts.days) throw new ValidationError('give both --start and --end (or --off)');
        const { worker, schedule: s } = await c.sleepSchedule(id);
        if (opts.json) return printJson(s);
        return void io.out(s ? `worker ${worker} sleeps ${s.days.join(' ') || 'every day'} ${s.start}–${s.end}\n` : `worker ${worker} has no sleep schedule\n`);
      }
      const s = await c.setSleepSchedule(id, opts.days ?? '', opts.start, opts.end);
      if (opts.json) return printJson(s);
      io.out(`worker ${s.worker_id} sleeps ${s.days.join(' ') || 'every day'} ${s.start}–${s.end}\n`);
    });
  });
}
