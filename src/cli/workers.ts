import type { Command } from 'commander';
import { ownValue } from '../core/support/own';
import { io } from './io';
import { common, type CommonOptions } from './context';
import { withClient } from './client/connect';
import { outputStyle, printJson, type TableOptions, withOutput } from './format';
import { workersTable } from './tables';
import { frameOf, showView, type WatchOptions, withWatch } from './live';

export function listWorkersCommand(program: Command): void {
  common(withWatch(withOutput(program.command('list-workers').description('list the registered workers')))).action(async (opts: CommonOptions & TableOptions & WatchOptions) => {
    const style = outputStyle(opts);
    await showView(opts, 'flamenco-mgr list-workers', async (c) => {
      const workers = await c.workers();
      return frameOf(workers, opts.json, () => (workers.length === 0 ? 'no workers registered\n' : workersTable(workers, style, c.now()) + '\n'));
    });
  });
}

const WORDS: Record<string, string> = { awake: 'wake up', asleep: 'go to sleep', shutdown: 'shut down' };

export function setWorkerStatusCommand(program: Command): void {
  common(
    program
      .command('set-worker-status <worker-id> <status>')
      .description('ask a worker to become awake, asleep or shut down')
      .option('--lazy', 'let the current task finish first'),
  ).action(async (id: string, status: string, opts: CommonOptions & { lazy?: boolean }) => {
    const w = await withClient(opts, (c) => c.requestStatus(id, status, opts.lazy ?? false));
    if (opts.json) printJson({ id: w.id, status_requested: w.status_requested, lazy_status_request: w.lazy_status_request });
    else io.out(`asked worker ${w.nickname} (${w.id}) to ${ownValue(WORDS, status) ?? status}${opts.lazy ? ' after its current task' : ' now'}\n`);
  });
}
