import type { Command } from 'commander';
import { ownValue } from '../core/support/own';
import { io } from './io';
import { common, type CommonOptions } from './context';
import { withClient } from './client/connect';
import { type LimitOptions, omittedNote, outputStyle, printJson, type TableOptions, withOutput } from './format';
import { ValidationError } from '../core/support/errors';
import { parseLimit } from '../core/listing';
import { workersTable } from './tables';
import { frameOf, showView, type WatchOptions, withWatch } from './live';

export function listWorkersCommand(program: Command): void {
  common(withWatch(withOutput(program.command('list-workers').description('list the registered workers (all of them unless --limit)'))))
    .option('--limit <n>', 'show at most n workers, in registration order')
    .option('--all', 'show every worker (the default)')
    .action(async (opts: CommonOptions & TableOptions & WatchOptions & LimitOptions) => {
      if (opts.all && opts.limit !== undefined) throw new ValidationError('give --limit or --all, not both');
      const limit = parseLimit(opts.limit, '--limit');
      const style = outputStyle(opts);
      await showView(opts, 'flamenco-mgr list-workers', async (c) => {
        const all = await c.workers();
        const workers = limit === undefined ? all : all.slice(0, limit);
        const table = () =>
          workers.length === 0 ? 'no workers registered\n' : workersTable(workers, style, c.now(), c.lastSeenLagMs) + '\n' + omittedNote(all.length - workers.length, 'worker');
        return frameOf(workers, opts.json, table);
      });
    });
}

const WORDS: Record<string, string> = { awake: 'wake up', asleep: 'go to sleep', shutdown: 'shut down', restart: 'restart' };

export function setWorkerStatusCommand(program: Command): void {
  common(
    program
      .command('set-worker-status <worker-id> <status>')
      .description('ask a worker to become awake, asleep or shut down (a Flamenco 3 worker goes offline), or to restart (only a worker that said it can)')
      .option('--lazy', 'let the current task finish first'),
  ).action(async (id: string, status: string, opts: CommonOptions & { lazy?: boolean }) => {
    const w = await withClient(opts, (c) => c.requestStatus(id, status, opts.lazy ?? false));
    if (opts.json) printJson({ id: w.id, status_requested: w.status_requested, lazy_status_request: w.lazy_status_request });
    else io.out(`asked worker ${w.nickname} (${w.id}) to ${ownValue(WORDS, status) ?? status}${opts.lazy ? ' after its current task' : ' now'}\n`);
  });
}
