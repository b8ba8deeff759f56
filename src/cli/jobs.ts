// Job commands: list, inspect and steer jobs; read task logs.
import { closeSync, readSync } from 'node:fs';
import { io } from './io';
import type { Command } from 'commander';
import { ValidationError } from '../core/support/errors';
import type { JobRecord } from '../db/jobs-repo';
import type { Manager } from '../core/manager';
import { tailOf } from '../core/protocol/task-logs';
import { common, type CommonOptions, openManager, withManager } from './context';
import { printJson, progressBar, relativeTime, table } from './format';

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export function jobsCommand(program: Command): void {
  common(program.command('jobs').description('list jobs').option('--status <status>', 'only jobs in this status')).action(
    (opts: CommonOptions & { status?: string }) => {
      withManager(opts, ({ manager }) => {
        const jobs = manager.views.jobs(opts.status);
        if (opts.json) return printJson(jobs);
        if (jobs.length === 0) return void io.out('no jobs\n');
        const now = manager.clock.now();
        const rows = jobs.map((j) => [
          j.id, j.name, j.job_type, j.status, String(j.priority), progressBar(j.tasks.completed ?? 0, total(j.tasks)),
          `${j.tasks.completed}/${total(j.tasks)}`, relativeTime(Date.parse(j.created), now),
        ]);
        io.out(table(['JOB', 'NAME', 'TYPE', 'STATUS', 'PRIO', 'PROGRESS', 'DONE', 'CREATED'], rows) + '\n');
      });
    },
  );

  common(program.command('job <id>').description('show a job: settings and tasks')).action((id: string, opts: CommonOptions) => {
    withManager(opts, ({ manager }) => {
      const j = manager.views.job(manager.names.job(id));
      if (opts.json) return printJson(j);
      const now = manager.clock.now();
      const lines = [
        `job ${j.id}: ${j.name}`,
        `  type:      ${j.job_type}`,
        `  status:    ${j.status}${j.activity ? ` (${j.activity})` : ''}`,
        `  priority:  ${j.priority}`,
        `  created:   ${j.created} (${relativeTime(Date.parse(j.created), now)})`,
        `  progress:  ${progressBar(j.tasks.completed ?? 0, total(j.tasks))} ${j.tasks.completed}/${total(j.tasks)}`,
      ];
      if (j.tag) lines.push(`  tag:       ${j.tag}`);
      if (j.submitter_platform) lines.push(`  submitted from: ${j.submitter_platform}`);
      for (const [k, v] of Object.entries(j.settings)) lines.push(`  settings.${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      for (const [k, v] of Object.entries(j.metadata)) lines.push(`  metadata.${k}: ${v}`);
      io.out(lines.join('\n') + '\n\n');
      const rows = j.task_list.map((t) => [t.id, t.name, t.task_type, t.status, t.worker_nickname ?? '-', `${t.progress}%`, t.activity]);
      io.out(table(['TASK', 'NAME', 'TYPE', 'STATUS', 'WORKER', 'PROGRESS', 'ACTIVITY'], rows) + '\n');
    });
  });

  const action = (name: string, description: string, run: (m: Manager, id: string) => JobRecord, verb: string) =>
    common(program.command(`${name} <job-id>`).description(description)).action((id: string, opts: CommonOptions) => {
      withManager(opts, ({ manager }) => {
        const job = run(manager, manager.names.job(id));
        if (opts.json) return printJson(manager.views.job(job.id));
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
        if (opts.json) return printJson(manager.views.job(job.id));
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
    false,
  ).action(async (id: string, opts: CommonOptions & { tail?: string; follow?: boolean }) => {
    if (opts.tail !== undefined && !/^\d+$/.test(opts.tail)) throw new ValidationError(`--tail: "${opts.tail}" is not a whole number`);
    const o = openManager(opts);
    const t = o.manager.views.task(o.manager.names.task(id));
    const logs = o.manager.logs;
    o.close();
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
