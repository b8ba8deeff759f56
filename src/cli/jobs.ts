// Job commands: list, inspect and steer jobs; read task logs.
import { closeSync, readSync } from 'node:fs';
import { io } from './io';
import type { Command } from 'commander';
import { ValidationError } from '../core/support/errors';
import type { JobRecord } from '../db/jobs-repo';
import type { Manager } from '../core/manager';
import { tailOf } from '../core/protocol/task-logs';
import { common, type CommonOptions, openManager, withManager } from './context';
import {
  colourStatus, type LimitOptions, listingOf, omittedNote, outputStyle, printJson, relativeTime, type TableOptions, withLimit, withOutput,
} from './format';
import { jobProgress, jobsTable, tasksTable } from './tables';
import { DEFAULT_TASK_LIMIT, parseLimit } from '../core/listing';

export function jobsCommand(program: Command): void {
  common(withLimit(withOutput(program.command('jobs').description('list the current jobs: unfinished ones and those finished in the last 24 hours (--all: every job)')), 'jobs'))
    .option('--status <status>', 'only jobs in this status')
    .action((opts: CommonOptions & TableOptions & LimitOptions & { status?: string }) => {
      const listing = listingOf(opts);
      const style = outputStyle(opts);
      withManager(opts, ({ manager }) => {
        const { jobs, omitted } = manager.views.jobList(opts.status, listing);
        if (opts.json) return printJson(jobs);
        if (jobs.length === 0) return void io.out('no jobs\n');
        io.out(jobsTable(jobs, style, manager.clock.now()) + '\n' + omittedNote(omitted, 'older jobs'));
      });
    });

  common(withLimit(withOutput(program.command('job <id>').description('show a job: settings and tasks')), 'tasks', DEFAULT_TASK_LIMIT))
    .option('--status <status>', 'only tasks in this status')
    .action((id: string, opts: CommonOptions & TableOptions & LimitOptions & { status?: string }) => {
      const style = outputStyle(opts);
      const limit = opts.all ? undefined : (parseLimit(opts.limit, '--limit') ?? DEFAULT_TASK_LIMIT);
      if (opts.all && opts.limit !== undefined) throw new ValidationError('give --limit or --all, not both');
      withManager(opts, ({ manager }) => {
        const { job: j, omitted } = manager.views.jobDetail(manager.names.job(id), { status: opts.status, limit });
        if (opts.json) return printJson(j);
        const now = manager.clock.now();
        const lines = [
          `job ${j.id}: ${j.name}`,
          `  type:      ${j.job_type}`,
          `  status:    ${colourStatus(j.status, style)}${j.activity ? ` (${j.activity})` : ''}`,
          `  priority:  ${j.priority}`,
          `  created:   ${j.created} (${relativeTime(Date.parse(j.created), now)})`,
          `  progress:  ${jobProgress(j)}`,
        ];
        if (j.tag) lines.push(`  tag:       ${j.tag}`);
        if (j.submitter_platform) lines.push(`  submitted from: ${j.submitter_platform}`);
        for (const [k, v] of Object.entries(j.settings)) lines.push(`  settings.${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
        for (const [k, v] of Object.entries(j.metadata)) lines.push(`  metadata.${k}: ${v}`);
        io.out(lines.join('\n') + '\n\n');
        if (j.task_list.length === 0) return void io.out(opts.status ? `no ${opts.status} tasks\n` : 'no tasks\n');
        io.out(tasksTable(j.task_list, style) + '\n' + omittedNote(omitted, 'tasks'));
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

  common(
    program
      .command('task-log <task-id>')
      .description('print a task\'s log')
      .option('--tail <n>', 'only the last n lines')
      .option('--follow', 'keep printing what is appended, until interrupted'),
  ).action(async (id: string, opts: CommonOptions & { tail?: string; follow?: boolean }) => {
    if (opts.tail !== undefined && !/^\d+$/.test(opts.tail)) throw new ValidationError(`--tail: "${opts.tail}" is not a whole number`);
    const o = openManager(opts);
    const t = o.manager.views.task(o.manager.names.task(id));
    const logs = o.manager.logs;
    o.close();
    if (opts.json && !opts.follow) {
      const log = opts.tail !== undefined ? logs.tail(t.job, t.id, Number(opts.tail)) : logs.read(t.job, t.id);
      return printJson({ task: t.id, job: t.job, status: t.status, log });
    }
    let offset = 0;
    if (opts.tail !== undefined) {
      // The tail and the follow offset come from one look at the file: a line appended in between
      // is neither lost nor printed twice.
      const h = logs.open(t.job, t.id);
      if (h) {
        try {
          io.out(tailOf(h.fd, h.size, Number(opts.tail)));
          offset = h.size;
        } finally {
          closeSync(h.fd);
        }
      }
    } else {
      offset = copyFrom(logs.open(t.job, t.id), 0);
    }
    if (!opts.follow) return;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const h = logs.open(t.job, t.id);
        // A smaller file means the log was rotated: the task started again.
        if (h && h.size < offset) offset = 0;
        offset = copyFrom(h, offset);
      }, 500);
      const stop = () => {
        clearInterval(timer);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}

/** Writes a log from `offset` to stdout; returns the new offset. */
function copyFrom(h: { fd: number; size: number } | undefined, offset: number): number {
  if (!h) return offset;
  try {
    const buf = Buffer.alloc(64 * 1024);
    let pos = offset;
    while (pos < h.size) {
      const n = readSync(h.fd, buf, 0, Math.min(buf.length, h.size - pos), pos);
      if (n <= 0) break;
      io.out(buf.subarray(0, n));
      pos += n;
    }
    return pos;
  } finally {
    closeSync(h.fd);
  }
}
